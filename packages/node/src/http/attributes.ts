// Attribute names of the OpenTelemetry HTTP semantic conventions (stable
// since 1.23), spelled out here so the adapter needs no extra dependency.

export const ATTR_HTTP_REQUEST_METHOD = "http.request.method";
export const ATTR_HTTP_REQUEST_METHOD_ORIGINAL = "http.request.method_original";
export const ATTR_HTTP_RESPONSE_STATUS_CODE = "http.response.status_code";
export const ATTR_HTTP_ROUTE = "http.route";
export const ATTR_URL_PATH = "url.path";
export const ATTR_URL_SCHEME = "url.scheme";
export const ATTR_URL_FULL = "url.full";
export const ATTR_SERVER_ADDRESS = "server.address";
export const ATTR_SERVER_PORT = "server.port";
export const ATTR_CLIENT_ADDRESS = "client.address";
export const ATTR_USER_AGENT_ORIGINAL = "user_agent.original";
export const ATTR_NETWORK_PROTOCOL_VERSION = "network.protocol.version";
export const ATTR_ERROR_TYPE = "error.type";
