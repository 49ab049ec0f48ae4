// The one place the store talks to the service: its public HTTP API, on the same origin. Requests
// carry the `__session` cookie the sign-in set (a front end on another origin would send
// `Authorization: Bearer <token>` instead). Errors arrive as problem+json (contract §4).

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `The service answered ${status}.`);
    this.status = status;
    this.problem = problem;
  }
}

export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// Checkout: the service creates the Stripe Checkout Session; the browser goes to Stripe's page.
export async function startCheckout(priceId, quantity) {
  const body = quantity === undefined ? { price_id: priceId } : { price_id: priceId, quantity };
  const session = await api("/api/stripe/checkout", { method: "POST", body });
  location.assign(session.url);
}

// The Billing Portal: with `Accept: application/json` the service answers `{url}` instead of a 303.
export async function openPortal() {
  const { url } = await api("/api/stripe/portal", { method: "POST" });
  location.assign(url);
}
