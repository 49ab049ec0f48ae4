// One order, at ORDER_URL's path (where the confirmation e-mail links): GET /api/orders/{id}.
import { api } from "./api.js";
import { renderOrder } from "./orders.js";
import { say } from "./view.js";

const slot = document.getElementById("order");
const orderId = document.querySelector("main").dataset.orderId;
try {
  slot.replaceChildren(renderOrder(await api(`/api/orders/${encodeURIComponent(orderId)}`)));
} catch (error) {
  say(error.status === 401 ? "Sign in (at the top of the page) to see your order." : error.message, "error");
}
slot.removeAttribute("aria-busy");
