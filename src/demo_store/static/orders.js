// One order as the API returns it, rendered into the `order-view` template (_order.html).
import { clone, fill, money, when } from "./view.js";

export const ORDER_STATUS = {
  pending: "Waiting for the payment.",
  authorized: "Payment authorized: the amount is held on your card and charged once we have reviewed the order.",
  captured: "Paid. A confirmation e-mail is on its way.",
  canceled: "Canceled: the hold on your card was released; nothing was charged.",
  expired: "The checkout expired before payment; nothing was charged.",
  refunded: "Refunded.",
};

// ORDER_URL's path, e.g. /orders/{order_id} (the confirmation e-mail links there too).
export function orderUrl(orderId) {
  return document.body.dataset.orderUrl.replace("{order_id}", encodeURIComponent(orderId));
}

export function itemsSummary(order) {
  return order.items.map((item) => `${item.description} × ${item.quantity}`).join(", ");
}

export function renderOrder(order) {
  const view = fill(clone("order-view"), {
    id: { text: order.id, href: orderUrl(order.id) },
    status: order.status,
    explanation: ORDER_STATUS[order.status] ?? "",
    total: money(order.amount_total, order.currency),
  });
  view.querySelector(".items").replaceChildren(
    ...order.items.map((item) =>
      fill(clone("order-item"), {
        description: item.description,
        quantity: String(item.quantity),
        amount: money(item.amount_total, order.currency),
      }),
    ),
  );
  view.querySelector(".timeline").replaceChildren(...timeline(order).flatMap(([term, detail]) => [
    Object.assign(document.createElement("dt"), { textContent: term }),
    Object.assign(document.createElement("dd"), { textContent: detail }),
  ]));
  return view;
}

// What happened to the order, in order; the later fields (refunds, dispute) only when the API has them.
function timeline(order) {
  const events = [["Ordered", when(order.created_at)]];
  if (order.authorized_at) events.push(["Authorized", when(order.authorized_at)]);
  if (order.captured_at) events.push(["Captured", when(order.captured_at)]);
  if (order.canceled_at) events.push(["Canceled", `${when(order.canceled_at)} (${order.cancellation_reason ?? "no reason given"})`]);
  if (order.amount_refunded) events.push(["Refunded", money(order.amount_refunded, order.currency)]);
  if (order.refunded_at) events.push(["Fully refunded", when(order.refunded_at)]);
  if (order.dispute) events.push(["Disputed", `${order.dispute.status} (${order.dispute.reason})`]);
  return events;
}
