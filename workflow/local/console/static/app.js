// Hash router of the console: #/ executions, #/start/ARN, #/execution/ARN, #/endpoints, #/schedules.
import { renderExecutions } from "./executions.js";
import { renderStart } from "./start.js";
import { renderExecution } from "./execution.js";
import { renderEndpoints } from "./endpoints.js";
import { renderSchedules } from "./schedules.js";
import { errorBox, esc } from "./util.js";

let leave = () => {};

async function route() {
  leave();
  leave = () => {};
  const view = document.getElementById("view");
  const [page, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const arg = decodeURIComponent(rest.join("/"));
  document.querySelectorAll("[data-nav]").forEach((a) => {
    a.classList.toggle("active", a.dataset.nav === (["endpoints", "schedules"].includes(page) ? page : "executions"));
  });
  try {
    if (page === "start") leave = (await renderStart(view, arg)) || leave;
    else if (page === "execution") leave = (await renderExecution(view, arg)) || leave;
    else if (page === "endpoints") leave = (await renderEndpoints(view)) || leave;
    else if (page === "schedules") leave = (await renderSchedules(view)) || leave;
    else leave = (await renderExecutions(view, new URLSearchParams(location.hash.split("?")[1] || ""))) || leave;
  } catch (err) {
    view.innerHTML = `<h1>Something went wrong</h1>${errorBox(err)}`;
  }
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", () => {
  document.getElementById("endpoint").innerHTML = `AWS APIs at ${esc(location.origin)}/`;
  fetch("/console/mlflow.json").then((answer) => answer.json()).then((mlflow) => {
    const link = document.getElementById("mlflow-link");
    if (mlflow.tracking_url) {
      link.href = mlflow.tracking_url;
      link.hidden = false;
    }
  }).catch(() => {});
  route();
});
