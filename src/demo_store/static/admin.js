// The review queue: orders by status (authorized by default), with the actions admin/order_actions.html
// offers for each order's status.
import { api } from "./api.js";
import { itemsSummary } from "./orders.js";
import { attempt, clone, field, fill, money, say, when } from "./view.js";

// One POST to the admin API per action; each answers the order as it is now. A new action (refund)
// is one entry here and one form in admin/order_actions.html.
const ACTIONS = {
  capture: (order) => api(`/api/admin/orders/${order.id}/capture`, { method: "POST" }),
  cancel: (order, form) =>
    api(`/api/admin/orders/${order.id}/cancel`, { method: "POST", body: { reason: form.elements.reason.value } }),
};

const queue = document.getElementById("review-queue");
const status = queue.querySelector('select[name="status"]');
status.addEventListener("change", () => attempt(load));
await attempt(load);

async function load() {
  let orders;
  try {
    ({ orders } = await api(`/api/admin/orders?status=${encodeURIComponent(status.value)}`));
  } catch (error) {
    if (error.status !== 401 && error.status !== 403) throw error;
    document.getElementById("not-admin").hidden = false;
    return;
  }
  field(queue, "none").hidden = orders.length > 0;
  queue.querySelector("table").hidden = orders.length === 0;
  queue.querySelector("tbody").replaceChildren(...orders.map(row));
  queue.hidden = false;
}

function row(order) {
  const tr = fill(clone("queue-row"), {
    id: order.id,
    authorized_at: when(order.authorized_at),
    items: itemsSummary(order),
    total: money(order.amount_total, order.currency),
    status: order.status,
    notes: notes(order),
  });
  tr.dataset.orderId = order.id;
  for (const form of tr.querySelectorAll("form[data-action]")) {
    form.hidden = !form.dataset.when.split(" ").includes(order.status);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      for (const button of tr.querySelectorAll("button")) button.disabled = true;
      attempt(async () => {
        const done = await ACTIONS[form.dataset.action](order, form);
        say(`Order ${done.id} is now ${done.status}.`);
        await load();
      }).finally(() => tr.querySelectorAll("button").forEach((button) => (button.disabled = false)));
    });
  }
  return tr;
}

// What else an administrator should see on the row; refunds and disputes when the API has them.
function notes(order) {
  const parts = [];
  if (order.cancellation_reason) parts.push(order.cancellation_reason);
  if (order.amount_refunded) parts.push(`${money(order.amount_refunded, order.currency)} refunded`);
  if (order.dispute) parts.push(`dispute ${order.dispute.status}`);
  return parts.join(", ");
}
