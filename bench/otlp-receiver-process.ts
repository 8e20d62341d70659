// The OTLP receiver of the OTLP load benchmark, in a process of its own so that decoding
// what arrives does not compete with the app's event loop. Driven over the IPC channel:
// the parent sends { id, command, script? } and gets back { id, ... }.
import { type ResponseScript, startOtlpReceiver } from "@groundwork/test-harness";

type Command =
  | { id: number; command: "counts" }
  | { id: number; command: "reset" }
  | { id: number; command: "respondWith"; script: ResponseScript }
  | { id: number; command: "stop" };

const receiver = await startOtlpReceiver();
const reply = (message: object): void => {
  process.send?.(message);
};

process.on("message", async (message: Command) => {
  switch (message.command) {
    case "counts": {
      const requests = receiver.requests();
      reply({
        id: message.id,
        spans: receiver.traces().length,
        requests: requests.length,
        undecoded: requests.filter((r) => r.decodeError !== undefined).length,
      });
      return;
    }
    case "reset":
      receiver.reset();
      reply({ id: message.id });
      return;
    case "respondWith":
      receiver.respondWith(message.script);
      reply({ id: message.id });
      return;
    case "stop":
      await receiver.stop();
      reply({ id: message.id });
      process.disconnect?.();
      return;
  }
});
reply({ id: 0, endpoint: receiver.endpoint("traces") });
