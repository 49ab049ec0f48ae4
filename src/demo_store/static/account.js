// The signed-in user's account: one function per section of account.html.
import { api } from "./api.js";
import { me } from "./layout.js";
import { itemsSummary, orderUrl } from "./orders.js";
import { attempt, clone, day, field, fill, listItems, money, when } from "./view.js";

const billing = await me.catch(() => null);
if (!billing) {
  document.getElementById("signed-out").hidden = false;
} else {
  const { products } = await api("/api/stripe/products");
  showPaymentIssue(billing.payment_issue);
  showPlan(billing, products);
  await Promise.all([attempt(showInvoices), attempt(showOrders)]);
}

// `payment_issue`: the open invoice that needs the user; absent or null when nothing does.
function showPaymentIssue(issue) {
  if (!issue) return;
  const banner = document.getElementById("payment-issue");
  const amount = money(issue.amount_due, issue.currency);
  fill(banner, {
    text:
      issue.kind === "action_required"
        ? `Your bank asks you to confirm the payment of ${amount}.`
        : `The payment of ${amount} failed (attempt ${issue.attempt_count}).`,
  });
  const link = field(banner, "invoice_link");
  link.hidden = !issue.hosted_invoice_url;
  if (issue.hosted_invoice_url) link.href = issue.hosted_invoice_url;
  banner.hidden = false;
}

function showPlan({ subscription, entitlements }, products) {
  const section = document.getElementById("plan");
  field(section, "none").hidden = Boolean(subscription);
  field(section, "subscription").hidden = !subscription;
  if (subscription) {
    const product = products.find((p) => p.id === subscription.product_id);
    const price = product?.prices.find((p) => p.id === subscription.price_id);
    fill(section, {
      name: product?.name ?? subscription.plan_key ?? subscription.product_id,
      price: price ? `${price.formatted} per ${price.interval}` : "",
      status: subscription.status,
      period: period(subscription),
    });
  }
  fill(section, { access: entitlements.active ? `active (${entitlements.plan_key ?? "no plan key"})` : "no access" });
  const limits = Object.entries(entitlements.limits).map(([name, value]) => `${name}: ${value ?? "unlimited"}`);
  section.querySelector(".limits").replaceChildren(...listItems(limits));
  section.hidden = false;
}

function period(subscription) {
  if (subscription.status === "canceled") return `Ended on ${day(subscription.cancel_at ?? subscription.canceled_at)}.`;
  if (subscription.cancel_at_period_end || subscription.cancel_at) {
    return `Cancels on ${day(subscription.cancel_at ?? subscription.current_period_end)}.`;
  }
  if (subscription.status === "trialing") return `Trial ends on ${day(subscription.trial_end)}.`;
  return `Renews on ${day(subscription.current_period_end)}.`;
}

async function showInvoices() {
  const found = await api("/api/me/invoices").catch((error) => {
    if (error.status === 404) return null; // a service without invoices yet
    throw error;
  });
  if (!found?.invoices.length) return;
  const section = document.getElementById("invoices");
  section.querySelector("tbody").replaceChildren(
    ...found.invoices.map((invoice) =>
      fill(clone("invoice-row"), {
        number: invoice.number ?? invoice.id,
        created_at: day(invoice.created_at),
        status: invoice.status,
        amount: money(invoice.amount_due, invoice.currency),
        link: invoice.hosted_invoice_url ? { text: "View", href: invoice.hosted_invoice_url } : "",
      }),
    ),
  );
  section.hidden = false;
}

async function showOrders() {
  const { orders } = await api("/api/orders");
  const section = document.getElementById("orders");
  field(section, "none").hidden = orders.length > 0;
  section.querySelector("table").hidden = orders.length === 0;
  section.querySelector("tbody").replaceChildren(
    ...orders.map((order) =>
      fill(clone("order-row"), {
        id: { text: order.id, href: orderUrl(order.id) },
        created_at: when(order.created_at),
        items: itemsSummary(order),
        status: order.status,
        total: money(order.amount_total, order.currency),
      }),
    ),
  );
  section.hidden = false;
}
