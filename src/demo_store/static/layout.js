// What every page's layout needs: who is signed in (the header), Manage billing buttons, and the
// sandbox clock (the footer).
import { api, openPortal } from "./api.js";
import { attempt, fill, say, when } from "./view.js";

// GET /api/me/billing answers 401 when nobody is signed in; pages await `me` too (one request).
export const me = api("/api/me/billing").catch((error) => {
  if (error.status === 401) return null;
  throw error;
});

const session = document.querySelector(".session");
me.then(
  (billing) => {
    session.querySelector("[data-signed-in]").hidden = !billing;
    session.querySelector("[data-signed-out]").hidden = Boolean(billing);
    if (billing) fill(session, { user_id: billing.user_id, email: billing.email ?? "" });
  },
  (error) => say(error.message, "error"),
);

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-manage-billing]")) attempt(openPortal);
});

// The sandbox's own clock (GET /sandbox/clock, seconds): no counterpart in production.
fetch("/sandbox/clock")
  .then((response) => response.json())
  .then(({ now }) => {
    document.querySelector("[data-sandbox-clock]").textContent = when(new Date(now * 1000).toISOString());
  });
