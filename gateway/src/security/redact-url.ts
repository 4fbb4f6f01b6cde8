/**
 * Backend URLs as the gateway shows them (in logs, /health, /services and error messages). Some services
 * take their key in the query string (`?api_key=...`), and registration accepts such URLs, so every query
 * value is replaced; names stay, so an operator can still tell what the URL carries. The stored URL is
 * untouched: requests to the backend need it whole.
 */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return url;
  const parsed = new URL(url);
  if (parsed.search === "" && parsed.username === "" && parsed.password === "") return url;
  const names = new Set(parsed.searchParams.keys());
  parsed.search = [...names].map((name) => `${encodeURIComponent(name)}=redacted`).join("&");
  if (parsed.username !== "" || parsed.password !== "") {
    parsed.username = "redacted";
    parsed.password = "";
  }
  return parsed.href;
}

/** `text` with every http(s) URL in it redacted, for messages that may quote a backend's URL. */
export function redactUrlsIn(text: string): string {
  return text.replace(/\bhttps?:\/\/[^\s"'<>`]+/gi, redactUrl);
}
