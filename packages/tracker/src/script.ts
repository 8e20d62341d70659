// The drop-in build (`dist/tracker.min.js`):
//   <script defer src="/tracker.min.js" data-website="blog" data-endpoint="https://t.example.com"></script>
// It starts tracking and exposes `window.groundworkTracker` for custom events.
import { createTracker } from "./client";

const script = document.currentScript as HTMLScriptElement | null;
const website = script?.dataset.website;
if (website) {
  (window as Window & { groundworkTracker?: unknown }).groundworkTracker = createTracker({
    website,
    endpoint: script.dataset.endpoint ?? "",
  });
}
