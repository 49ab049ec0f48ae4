// The checkout success page: Stripe sends the buyer here with `?session_id=cs_…` as soon as they
// have paid, usually before the webhook has reached the service. Ask the API until it has.
import { api } from "./api.js";
import { renderOrder } from "./orders.js";
import { day, fill, money, say, sleep } from "./view.js";

const POLL_MS = 1000;
const GIVE_UP_AFTER = 60; // polls

const sessionId = new URLSearchParams(location.search).get("session_id");
const panel = document.getElementById("session");

// The webhook has arrived when the order has left `pending`, or the subscription is linked.
function settled(session) {
  if (session.status === "expired") return true;
  return session.mode === "payment" ? session.order?.status !== "pending" : session.subscription !== null;
}

function show(session) {
  fill(panel, {
    status: session.status,
    payment_status: session.payment_status,
    total: money(session.amount_total, session.currency),
  });
  if (session.order) document.getElementById("order").replaceChildren(renderOrder(session.order));
  if (session.subscription) {
    const box = document.getElementById("subscription");
    const { plan_key, status, current_period_end } = session.subscription;
    fill(box, { plan_key: plan_key ?? "—", status, current_period_end: day(current_period_end) });
    box.hidden = false;
  }
}

async function follow() {
  for (let poll = 1; ; poll++) {
    const session = await api(`/api/stripe/checkout/${encodeURIComponent(sessionId)}`);
    show(session);
    if (settled(session)) return "";
    if (poll >= GIVE_UP_AFTER) return "Stripe has not confirmed yet; reload this page in a while.";
    await sleep(POLL_MS);
  }
}

if (!sessionId) {
  say("This page expects ?session_id=… from Stripe Checkout.", "error");
} else {
  try {
    fill(panel, { waiting: await follow() });
  } catch (error) {
    fill(panel, { waiting: "" });
    say(error.status === 401 ? "Sign in (at the top of the page) to see your purchase." : error.message, "error");
  }
}
panel.removeAttribute("aria-busy");
