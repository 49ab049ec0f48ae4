// Pricing: the catalog and the featured coupon (public), and Buy / Subscribe buttons that start a
// Stripe Checkout. A subscriber's Subscribe buttons say Manage billing instead and open the portal.
import { api, openPortal, startCheckout } from "./api.js";
import { me } from "./layout.js";
import { attempt, clone, fill, listItems, money } from "./view.js";

// The 409 rule (contract §5, checkout): while the user's subscription has one of these statuses,
// a second subscription is refused, and plans are changed in the portal.
const HOLDS_A_SUBSCRIPTION = ["active", "trialing", "past_due", "unpaid"];

const [{ products }, { featured }, billing] = await Promise.all([
  api("/api/stripe/products"),
  api("/api/stripe/coupons"),
  me.catch(() => null),
]);
const subscription = billing?.subscription;
const subscribed = Boolean(subscription && HOLDS_A_SUBSCRIPTION.includes(subscription.status));

if (featured) {
  const banner = document.getElementById("featured-coupon");
  fill(banner, { name: featured.name ?? featured.id, terms: couponTerms(featured) });
  banner.hidden = false;
}
// Plans are the products with a plan key (subscriptions); the rest sell once.
const catalog = document.getElementById("pricing");
catalog.querySelector('[data-kind="plans"]').replaceChildren(...products.filter((p) => p.plan_key).map(productCard));
catalog.querySelector('[data-kind="one-time"]').replaceChildren(...products.filter((p) => !p.plan_key).map(productCard));
catalog.removeAttribute("aria-busy");

function productCard(product) {
  const card = fill(clone("product-card"), { name: product.name, description: product.description ?? "" });
  card.querySelector(".features").replaceChildren(...listItems(product.features));
  card.querySelector(".prices").replaceChildren(...product.prices.map(priceRow));
  return card;
}

function priceRow(price) {
  const row = clone("price-row");
  const recurring = price.type === "recurring";
  const manage = recurring && subscribed;
  fill(row, {
    amount: price.formatted,
    per: recurring ? `per ${interval(price)}` : "",
    action: manage ? "Manage billing" : recurring ? "Subscribe" : "Buy",
  });
  row.querySelector('[data-field="current"]').hidden = !(subscribed && subscription.price_id === price.id);
  row.querySelector(".quantity").hidden = recurring; // quantities are for one-time prices only
  row.addEventListener("submit", (event) => {
    event.preventDefault();
    if (manage) attempt(openPortal);
    else attempt(() => startCheckout(price.id, recurring ? undefined : Number(row.elements.quantity.value)));
  });
  return row;
}

function interval(price) {
  return price.interval_count > 1 ? `${price.interval_count} ${price.interval}s` : price.interval;
}

function couponTerms(coupon) {
  const off = coupon.percent_off != null ? `${coupon.percent_off}% off` : `${money(coupon.amount_off, coupon.currency)} off`;
  if (coupon.duration === "forever") return `${off} every payment`;
  if (coupon.duration === "repeating") return `${off} for ${coupon.duration_in_months} months`;
  return `${off} the first payment`;
}
