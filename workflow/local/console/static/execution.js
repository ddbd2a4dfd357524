// One execution: live graph, states with their input and output, errors, jobs, history; Stop, Redrive.
import { all, sfn } from "./api.js";
import { GRAPH_CONTROLS, graphView } from "./graph-view.js";
import { renderJobs } from "./jobs.js";
import { badge, duration, errorBox, esc, every, nameOf, pretty, when } from "./util.js";

const DETAIL_KEYS = (e) => Object.keys(e).find((k) => k.endsWith("EventDetails"));

function stepName(event, byId) {
  let e = event;
  for (let hops = 0; e && hops < 10000; hops += 1) {
    const d = e.stateEnteredEventDetails || e.stateExitedEventDetails;
    if (d) return d.name;
    e = byId.get(e.previousEventId);
  }
  return "";
}

function historyTable(events) {
  const byId = new Map(events.map((e) => [e.id, e]));
  const start = events.length ? events[0].timestamp : 0;
  return `<table id="history"><thead><tr><th>ID</th><th>Type</th><th>Step</th><th>Time</th><th>Elapsed</th><th>Details</th></tr></thead><tbody>
    ${events.map((e) => {
      const key = DETAIL_KEYS(e);
      const d = key ? e[key] : null;
      const failed = d && (d.error || d.cause);
      return `<tr data-type="${esc(e.type)}"><td>${e.id}</td><td>${esc(e.type)}</td><td>${esc(stepName(e, byId))}</td>
        <td class="small">${when(e.timestamp)}</td><td class="small">${duration(e.timestamp - start)}</td>
        <td>${d ? `<details${failed ? " open" : ""}><summary class="small">${failed ? esc(d.error || "error") : "details"}</summary><pre>${esc(JSON.stringify(d, null, 2))}</pre></details>` : ""}</td></tr>`;
    }).join("")}</tbody></table>`;
}

function statesTable(status, selected) {
  const rows = Object.values(status.states);
  if (!rows.length) return `<p class="muted">No state entered yet.</p>`;
  return `<table id="states"><thead><tr><th>State</th><th>Status</th><th>Duration</th><th>Retries</th><th>Error</th></tr></thead><tbody>
    ${rows.map((s) => `<tr data-state="${esc(s.name)}" class="${s.name === selected ? "selected" : ""}" style="cursor:pointer">
      <td>${esc(s.name)}</td><td>${badge(s.status)}${s.redrives ? ` <span class="small redriven">redriven${s.redrives > 1 ? ` ${s.redrives}x` : ""}</span>` : ""}</td><td>${duration(s.duration_s)}</td><td>${s.retries || ""}</td>
      <td class="small">${esc(s.error || "")}</td></tr>`).join("")}</tbody></table>`;
}

function stateDetail(state) {
  if (!state) return `<p class="muted">Select a state in the graph or the table to see its input and output.</p>`;
  return `<h2>${esc(state.name)} ${badge(state.status)}</h2>
    <dl class="kv"><dt>Duration</dt><dd>${duration(state.duration_s)}</dd><dt>Retries</dt><dd>${state.retries}</dd>
    ${state.visits > 1 ? `<dt>Visits</dt><dd>${state.visits}</dd>` : ""}${state.iterations ? `<dt>Items</dt><dd>${state.iterations}</dd>` : ""}</dl>
    ${state.error || state.cause ? `<div class="error-box" id="state-error"><span class="err">${esc(state.error || "")}</span><pre>${esc(pretty(state.cause))}</pre></div>` : ""}
    <h2>Input</h2><pre id="state-input">${esc(pretty(state.input))}</pre>
    <h2>Output</h2><pre id="state-output">${esc(pretty(state.output) || "—")}</pre>
    ${state.assigned ? `<h2>Assigned variables</h2><dl class="kv" id="state-assigned">${Object.entries(state.assigned).map(([name, value]) =>
      `<dt>$${esc(name)}</dt><dd><pre>${esc(pretty(value))}</pre></dd>`).join("")}</dl>` : ""}`;
}

export async function renderExecution(view, arn) {
  view.innerHTML = `
    <div class="toolbar"><h1 id="exec-name">${esc(nameOf(arn))}</h1><span id="exec-status"></span>
      <button id="redrive" disabled>Redrive</button>
      <button id="stop" class="danger" disabled>Stop execution</button></div>
    <div id="exec-error"></div>
    <div class="panel"><dl class="kv" id="summary"></dl></div>
    <div class="row">
      <div class="panel grow" style="flex:3 1 640px"><h2>Graph</h2><div class="graph" id="graph">${GRAPH_CONTROLS}</div></div>
      <div class="panel grow" style="flex:2 1 360px" id="state-detail"></div>
    </div>
    <div class="panel"><h2>States</h2><div id="states-box"></div></div>
    <div class="panel"><h2>Jobs</h2><div id="jobs"><p class="muted">Loading…</p></div></div>
    <div class="panel"><h2>Event history</h2><div id="history-box"></div></div>`;
  let selected = null;
  let status = { states: {} };
  let running = true;
  let lastCount = -1;
  let lastStatus = null;
  // The execution's run in MLflow: looked up until found (the first job creates it).
  let mlflowRun = `<span class="muted">—</span>`;
  let runFound = false;
  const findRun = async () => {
    const answer = await fetch(`/console/mlflow.json?execution=${encodeURIComponent(arn)}`);
    const mlflow = answer.ok ? await answer.json() : {};
    if (mlflow.run_url) {
      mlflowRun = `<a href="${esc(mlflow.run_url)}" target="_blank" rel="noopener" data-link="mlflow-run">parent run and its training jobs</a>`;
    } else if (!mlflow.tracking_url) {
      mlflowRun = `<span class="muted">no tracking server</span>`;
    }
    runFound = Boolean(mlflow.run_url || !mlflow.tracking_url);
  };
  const graph = graphView(view.querySelector("#graph"));
  const allCatches = view.querySelector("#all-catches");
  const graphAnswer = () => fetch(`/console/graph.svg?execution=${encodeURIComponent(arn)}`
    + `&catchEdges=${allCatches.checked ? "all" : "collapsed"}`);
  const drawGraph = async (answer) => graph.show(answer.ok ? await answer.text()
    : `<p class="muted">${esc((await answer.json()).message)}</p>`);
  allCatches.addEventListener("change", async () => drawGraph(await graphAnswer()));
  const stop = view.querySelector("#stop");
  const redrive = view.querySelector("#redrive");
  const select = (name) => {
    selected = name;
    view.querySelector("#state-detail").innerHTML = stateDetail(status.states[name]);
    view.querySelectorAll("#states tr[data-state]").forEach((tr) => tr.classList.toggle("selected", tr.dataset.state === name));
  };
  view.querySelector("#states-box").addEventListener("click", (e) => {
    const row = e.target.closest("tr[data-state]");
    if (row) select(row.dataset.state);
  });
  view.querySelector("#graph").addEventListener("click", (e) => {
    const node = e.target.closest("g[id^='state-']");
    if (node) select(node.id.slice("state-".length));
  });
  stop.addEventListener("click", async () => {
    stop.disabled = true;
    try {
      await sfn("StopExecution", { executionArn: arn, error: "Console.Stopped", cause: "Stopped from the local console." });
    } catch (err) {
      view.querySelector("#exec-error").innerHTML = errorBox(err);
    }
  });
  redrive.addEventListener("click", async () => {
    redrive.disabled = true;
    try {
      // Continues from the states that did not succeed; what succeeded is not run again.
      await sfn("RedriveExecution", { executionArn: arn });
      follow();
    } catch (err) {
      view.querySelector("#exec-error").innerHTML = errorBox(err);
    }
  });
  const refresh = async () => {
    const description = await sfn("DescribeExecution", { executionArn: arn });
    if (!runFound) await findRun().catch(() => {});
    const events = await all("stepfunctions", "GetExecutionHistory", { executionArn: arn, includeExecutionData: true }, "events");
    running = description.status === "RUNNING";
    view.querySelector("#exec-status").innerHTML = badge(description.status);
    stop.disabled = !running;
    redrive.disabled = description.redriveStatus !== "REDRIVABLE";
    redrive.title = description.redriveStatusReason
      || (running ? "" : "Continue from the states that did not succeed, with the same input");
    const now = Date.now() / 1000;
    view.querySelector("#summary").innerHTML = `
      <dt>State machine</dt><dd><a href="#/?machine=${encodeURIComponent(description.stateMachineArn)}">${esc(nameOf(description.stateMachineArn))}</a></dd>
      <dt>Execution ARN</dt><dd class="small">${esc(arn)}</dd>
      <dt>Started</dt><dd>${when(description.startDate)}</dd><dt>Stopped</dt><dd>${when(description.stopDate)}</dd>
      <dt>Duration</dt><dd>${duration((description.stopDate || now) - description.startDate)}</dd>
      ${description.redriveCount ? `<dt>Redrives</dt><dd id="redrives">${description.redriveCount}, the last on ${when(description.redriveDate)}</dd>` : ""}
      <dt>MLflow run</dt><dd id="mlflow-run">${mlflowRun}</dd>
      <dt>Input</dt><dd><details><summary class="small">show</summary><pre>${esc(pretty(description.input))}</pre></details></dd>
      ${description.output ? `<dt>Output</dt><dd><details><summary class="small">show</summary><pre>${esc(pretty(description.output))}</pre></details></dd>` : ""}`;
    view.querySelector("#exec-error").innerHTML = description.error || description.cause
      ? `<div class="error-box" id="execution-failure"><span class="err">${esc(description.error || "")}</span><pre>${esc(pretty(description.cause || ""))}</pre></div>` : "";
    // The history can hold the execution's last event before DescribeExecution says it
    // ended: a refresh skips only when both are unchanged, or the graph keeps RUNNING.
    if (events.length === lastCount && description.status === lastStatus && !running) return;
    const [statusAnswer, pictureAnswer] = await Promise.all([
      fetch(`/console/status.json?execution=${encodeURIComponent(arn)}`), graphAnswer()]);
    if (statusAnswer.ok) status = await statusAnswer.json();
    await drawGraph(pictureAnswer);
    view.querySelector("#graph").dataset.executionStatus = description.status;
    view.querySelector("#states-box").innerHTML = statesTable(status, selected);
    if (!selected) {
      const failed = Object.values(status.states).find((s) => s.status === "failed");
      selected = failed ? failed.name : null;
    }
    select(selected);
    view.querySelector("#history-box").innerHTML = historyTable(events);
    await renderJobs(view.querySelector("#jobs"), events);
    lastCount = events.length; // drawn in full: the next refresh may skip an unchanged history
    lastStatus = description.status;
  };
  document.title = `Execution · ${nameOf(arn)}`;
  let stopLoop = () => {};
  // Polls while the execution runs; a redrive makes it run again, and polling starts over.
  const follow = () => {
    stopLoop();
    let ended = false;
    let failures = 0;
    running = true;
    lastCount = -1;
    lastStatus = null;
    stopLoop = every(1000, async () => {
      try {
        await refresh();
        failures = 0;
        if (!running) ended = true;
      } catch (err) {
        // A busy server may fail one refresh: the page gives up after a few in a row.
        failures += 1;
        view.querySelector("#exec-error").innerHTML = errorBox(err);
        ended = err.code === "ExecutionDoesNotExist" || err.code === "InvalidArn" || (!running && failures >= 3);
      }
    }, () => !ended);
  };
  follow();
  return () => stopLoop();
}
