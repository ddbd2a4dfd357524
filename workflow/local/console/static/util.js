// Small DOM and formatting helpers shared by the pages.
export function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

export function when(seconds) {
  if (seconds === undefined || seconds === null) return "—";
  return new Date(seconds * 1000).toLocaleString("sv-SE");
}

export function duration(seconds) {
  if (seconds === undefined || seconds === null || Number.isNaN(seconds)) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function badge(status) {
  const cls = "s-" + String(status).replace(/\s+/g, "");
  return `<span class="badge ${esc(cls)}" data-status="${esc(status)}">${esc(status)}</span>`;
}

export function pretty(text) {
  if (text === undefined || text === null) return "";
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return String(text);
  }
}

export function nameOf(arn) {
  return String(arn).split(":").pop();
}

export function errorBox(err) {
  return `<div class="error-box"><span class="err">${esc(err.code || "Error")}</span> ${esc(err.message)}</div>`;
}

// Calls `tick` now and every `ms` while `alive()`; returns a stop function.
export function every(ms, tick, alive = () => true) {
  let stopped = false;
  let timer;
  const loop = async () => {
    if (stopped || !alive()) return;
    try {
      await tick();
    } finally {
      if (!stopped) timer = setTimeout(loop, ms);
    }
  };
  loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
