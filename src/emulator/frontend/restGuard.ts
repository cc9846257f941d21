// Which callers may use a REST port at all, before routing or keys:
// - never a web browser: a request with `Origin` is refused on every bind. Browsers send Origin on every POST,
//   cross-site or not (the Fetch standard adds it for any method but GET and HEAD); TF Serving clients (curl,
//   requests, Node's fetch) do not. This stops a web page from scoring on, or probing, a `--no-auth` service on the
//   user's machine. (Sec-Fetch-* would not do: Node's fetch sends `sec-fetch-mode` too.)
// - on a loopback bind (every service the host runs), only a loopback `Host`: localhost, 127.x.x.x or [::1], with
//   the listening port or none. A page whose DNS name was rebound to 127.0.0.1 sends its own name as Host.
// - on any other bind (a standalone image on 0.0.0.0 or a public address) the Host is not checked: clients reach
//   such a server through names we cannot know (DNS, ingress, a Kubernetes service), and a rebinding page gains
//   nothing there that the network does not already give; keys are what protect it.
import type { IncomingHttpHeaders } from 'node:http';

export function isLoopbackAddress(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Splits a Host header into name and port ("[::1]:80", "localhost", "127.0.0.1:8501"). */
export function splitHostHeader(value: string): { name: string; port?: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value.trim());
  if (!m) return undefined;
  return { name: m[1].replace(/^\[(.*)\]$/, '$1'), port: m[2] === undefined ? undefined : Number(m[2]) };
}

/** Why a request must be refused (403), or undefined. `boundHost` is the address the listener was bound to. */
export function restRefusal(headers: IncomingHttpHeaders, boundHost: string, port: number): string | undefined {
  if (headers.origin !== undefined) {
    return 'Requests from web browsers are refused (the request carries an Origin header). Call the REST API from a program (curl, a TF Serving client) or put a server of your own in front of it.';
  }
  if (!isLoopbackAddress(boundHost)) return undefined;
  const host = headers.host;
  if (host === undefined) return undefined; // HTTP/1.0 without Host: no browser sends that
  const parsed = splitHostHeader(host);
  if (!parsed || !isLoopbackAddress(parsed.name) || (parsed.port !== undefined && parsed.port !== port)) {
    const shown = host.length > 100 ? `${host.slice(0, 100)}...` : host;
    return `This port only answers requests addressed to the local machine (Host localhost:${port} or 127.0.0.1:${port}), not Host "${shown}". Connect to 127.0.0.1:${port} directly.`;
  }
  return undefined;
}
