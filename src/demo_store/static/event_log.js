// The event log: stored Stripe events by status (failed by default), with Replay for each.
import { api } from "./api.js";
import { attempt, clone, field, fill, say, when } from "./view.js";

const log = document.getElementById("event-log");
const status = log.querySelector('select[name="status"]');
status.addEventListener("change", () => attempt(load));
await attempt(load);

async function load() {
  const query = status.value ? `?status=${encodeURIComponent(status.value)}&limit=50` : "?limit=50";
  let events;
  try {
    ({ events } = await api(`/api/admin/events${query}`));
  } catch (error) {
    if (error.status === 401 || error.status === 403) return; // admin.js says so
    throw error;
  }
  field(log, "none").hidden = events.length > 0;
  log.querySelector("table").hidden = events.length === 0;
  log.querySelector("tbody").replaceChildren(...events.map(row));
  log.hidden = false;
}

function row(event) {
  const tr = fill(clone("event-row"), {
    id: event.id,
    type: event.type,
    received_at: when(event.received_at),
    status: event.status,
    attempts: `${event.attempts} attempt${event.attempts === 1 ? "" : "s"}`,
    last_error: event.last_error || "",
  });
  tr.querySelector("form").addEventListener("submit", (submitted) => {
    submitted.preventDefault();
    tr.querySelector("button").disabled = true;
    attempt(async () => {
      const done = await api(`/api/admin/events/${event.id}/replay`, { method: "POST" });
      say(`Event ${done.id} is now ${done.status}.`);
      await load();
    }).finally(() => (tr.querySelector("button").disabled = false));
  });
  return tr;
}
