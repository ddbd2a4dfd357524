// Zoom (wheel, + / − buttons) and pan (drag) on the graph's SVG, kept across live refreshes.
const STEP = 1.25;

export function graphView(container) {
  let view = null; // the viewBox shown: null means the whole graph
  let drag = null;
  const svg = () => container.querySelector(".graph-canvas svg");
  const whole = (el) => el.viewBox.baseVal && el.dataset.whole
    ? el.dataset.whole.split(" ").map(Number) : null;
  const apply = () => {
    const el = svg();
    if (!el) return;
    if (!el.dataset.whole) {
      const box = el.viewBox.baseVal;
      el.dataset.whole = `${box.x} ${box.y} ${box.width} ${box.height}`;
      el.removeAttribute("width");
      el.removeAttribute("height");
    }
    const [x, y, w, h] = view || whole(el);
    el.setAttribute("viewBox", `${x} ${y} ${w} ${h}`);
    container.dataset.zoom = view ? (whole(el)[2] / w).toFixed(2) : "1.00";
  };
  const zoom = (factor, cx = 0.5, cy = 0.5) => {
    const el = svg();
    if (!el) return;
    const [x, y, w, h] = view || whole(el);
    const nw = w / factor;
    const nh = h / factor;
    view = [x + (w - nw) * cx, y + (h - nh) * cy, nw, nh];
    apply();
  };
  const canvas = container.querySelector(".graph-canvas");
  canvas.addEventListener("wheel", (e) => {
    if (!svg()) return;
    e.preventDefault();
    const r = canvas.getBoundingClientRect();
    zoom(e.deltaY < 0 ? STEP : 1 / STEP, (e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height);
  }, { passive: false });
  canvas.addEventListener("pointerdown", (e) => {
    if (e.target.closest("g[id^='state-']") || !svg()) return; // a click on a state selects it
    drag = { x: e.clientX, y: e.clientY, from: view || whole(svg()) };
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const [x, y, w, h] = drag.from;
    const r = canvas.getBoundingClientRect();
    const scale = Math.max(w / r.width, h / r.height);
    view = [x - (e.clientX - drag.x) * scale, y - (e.clientY - drag.y) * scale, w, h];
    apply();
  });
  const end = () => { drag = null; };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  container.querySelector("[data-zoom='in']").addEventListener("click", () => zoom(STEP));
  container.querySelector("[data-zoom='out']").addEventListener("click", () => zoom(1 / STEP));
  container.querySelector("[data-zoom='fit']").addEventListener("click", () => { view = null; apply(); });
  return {
    // Replace the picture, keeping where the user zoomed and panned to.
    show(html) {
      canvas.innerHTML = html;
      apply();
    },
  };
}

export const GRAPH_CONTROLS = `
  <div class="graph-tools">
    <button type="button" data-zoom="in" title="Zoom in">+</button>
    <button type="button" data-zoom="out" title="Zoom out">−</button>
    <button type="button" data-zoom="fit" title="Show the whole graph">Fit</button>
    <label class="small"><input type="checkbox" id="all-catches"> every Catch edge</label>
  </div>
  <div class="graph-canvas"><p class="muted">Drawing…</p></div>`;
