// Rendering helpers. Pages keep their markup in <template> elements; scripts clone them and fill
// the `data-field` elements with text (never HTML), so nothing the API returns can inject markup.

export function clone(templateId) {
  return document.getElementById(templateId).content.firstElementChild.cloneNode(true);
}

// `fields`: name -> text, or {text, href} for a link. Undefined values are left alone.
export function fill(element, fields) {
  for (const [name, value] of Object.entries(fields)) {
    const target = element.dataset.field === name ? element : element.querySelector(`[data-field="${name}"]`);
    if (!target || value === undefined) continue;
    if (value !== null && typeof value === "object") {
      target.textContent = value.text;
      target.href = value.href;
    } else {
      target.textContent = value ?? "—";
    }
    if (target.classList.contains("status")) target.dataset.status = value ?? ""; // its colour (store.css)
  }
  return element;
}

export function field(element, name) {
  return element.querySelector(`[data-field="${name}"]`);
}

export function listItems(texts) {
  return texts.map((text) => Object.assign(document.createElement("li"), { textContent: text }));
}

// Amounts are integers in the currency's minor unit. The API formats catalog prices itself
// (`formatted`, e.g. `$49.00`); everything else is formatted here the same way, with the
// currency's own exponent (`¥1,500`).
export function money(amount, currency) {
  if (amount == null || !currency) return "—";
  const format = new Intl.NumberFormat("en-US", { style: "currency", currency: currency.toUpperCase() });
  return format.format(amount / 10 ** format.resolvedOptions().maximumFractionDigits);
}

// Times are ISO 8601 UTC strings; shown in UTC, as the sandbox clock is.
export function when(iso) {
  if (!iso) return "—";
  const options = { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" };
  return `${new Date(iso).toLocaleString("en-US", options)} UTC`;
}

export function day(iso) {
  return iso ? new Date(iso).toLocaleDateString("en-US", { dateStyle: "medium", timeZone: "UTC" }) : "—";
}

export function say(text, kind = "info") {
  const message = document.getElementById("message");
  message.textContent = text;
  message.className = `message ${kind}`;
  message.hidden = false;
}

// Run a user's action; show what went wrong (the API's problem `detail`) instead of failing silently.
export async function attempt(action) {
  try {
    return await action();
  } catch (error) {
    say(error.message, "error");
    return undefined;
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
