// State machines and their executions, with filters; refreshes while anything runs.
import { all } from "./api.js";
import { badge, duration, esc, every, nameOf, when } from "./util.js";

const STATUSES = ["", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];

function filtersFromHash(params) {
  return { machine: params.get("machine") || "", status: params.get("status") || "", text: params.get("q") || "" };
}

async function load(filters) {
  const machines = await all("stepfunctions", "ListStateMachines", {}, "stateMachines");
  const chosen = machines.filter((m) => !filters.machine || m.stateMachineArn === filters.machine);
  const lists = await Promise.all(chosen.map((m) => all("stepfunctions", "ListExecutions",
    { stateMachineArn: m.stateMachineArn, ...(filters.status ? { statusFilter: filters.status } : {}) }, "executions")));
  const executions = lists.flat()
    .filter((e) => !filters.text || e.name.toLowerCase().includes(filters.text.toLowerCase()))
    .sort((a, b) => b.startDate - a.startDate);
  return { machines, executions };
}

function machinesTable(machines, counts) {
  if (!machines.length) return `<p class="muted">No state machines yet. Create one with CreateStateMachine (deploy_workflow.py does).</p>`;
  return `<table><thead><tr><th>Name</th><th>Type</th><th>Created</th><th>Executions</th><th></th></tr></thead><tbody>
    ${machines.map((m) => `<tr data-machine="${esc(m.name)}">
      <td><a href="#/?machine=${encodeURIComponent(m.stateMachineArn)}">${esc(m.name)}</a></td>
      <td>${esc(m.type)}</td><td>${when(m.creationDate)}</td><td>${counts[m.stateMachineArn] || 0}</td>
      <td><a class="button" href="#/start/${encodeURIComponent(m.stateMachineArn)}" data-start="${esc(m.name)}">Start execution</a></td>
    </tr>`).join("")}</tbody></table>`;
}

function executionsTable(executions) {
  if (!executions.length) return `<p class="muted">No executions match.</p>`;
  const now = Date.now() / 1000;
  return `<table id="executions"><thead><tr><th>Name</th><th>Status</th><th>State machine</th><th>Started</th><th>Duration</th></tr></thead><tbody>
    ${executions.map((e) => `<tr data-execution="${esc(e.name)}">
      <td><a href="#/execution/${encodeURIComponent(e.executionArn)}">${esc(e.name)}</a></td>
      <td>${badge(e.status)}</td><td>${esc(nameOf(e.stateMachineArn))}</td><td>${when(e.startDate)}</td>
      <td>${duration((e.stopDate || now) - e.startDate)}</td>
    </tr>`).join("")}</tbody></table>`;
}

export async function renderExecutions(view, params) {
  const filters = filtersFromHash(params);
  view.innerHTML = `
    <div class="toolbar"><h1>State machines</h1></div>
    <div class="panel" id="machines"><p class="muted">Loading…</p></div>
    <div class="panel">
      <div class="toolbar"><h2>Executions</h2></div>
      <div class="filters">
        <select id="f-machine"><option value="">All state machines</option></select>
        <select id="f-status">${STATUSES.map((s) => `<option value="${s}">${s || "Any status"}</option>`).join("")}</select>
        <input id="f-text" type="search" placeholder="Filter by name" value="${esc(filters.text)}">
        <button id="refresh">Refresh</button>
      </div>
      <div id="list"><p class="muted">Loading…</p></div>
    </div>`;
  const machineSelect = view.querySelector("#f-machine");
  view.querySelector("#f-status").value = filters.status;
  const apply = () => {
    const q = new URLSearchParams();
    if (machineSelect.value) q.set("machine", machineSelect.value);
    if (view.querySelector("#f-status").value) q.set("status", view.querySelector("#f-status").value);
    if (view.querySelector("#f-text").value) q.set("q", view.querySelector("#f-text").value);
    location.hash = "#/?" + q.toString();
  };
  machineSelect.addEventListener("change", apply);
  view.querySelector("#f-status").addEventListener("change", apply);
  view.querySelector("#f-text").addEventListener("change", apply);
  let running = true;
  const refresh = async () => {
    const { machines, executions } = await load(filters);
    if (machineSelect.options.length === 1) {
      machines.forEach((m) => machineSelect.add(new Option(m.name, m.stateMachineArn)));
      machineSelect.value = filters.machine;
    }
    const counts = {};
    executions.forEach((e) => { counts[e.stateMachineArn] = (counts[e.stateMachineArn] || 0) + 1; });
    view.querySelector("#machines").innerHTML = machinesTable(machines, counts);
    view.querySelector("#list").innerHTML = executionsTable(executions);
    running = executions.some((e) => e.status === "RUNNING");
  };
  view.querySelector("#refresh").addEventListener("click", refresh);
  let first = true;
  return every(2000, async () => {
    if (first || running) await refresh();
    first = false;
  });
}
