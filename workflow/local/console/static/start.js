// Start an execution: a JSON editor checked against the input schema before anything is sent.
import { sfn } from "./api.js";
import { GRAPH_CONTROLS, graphView } from "./graph-view.js";
import { errorBox, esc, nameOf } from "./util.js";
import { parseJson, validate } from "./schema.js";

async function pipelineInfo() {
  const answer = await fetch("/console/pipeline.json");
  return answer.ok ? answer.json() : null;
}

function isPipeline(definition, info) {
  if (!info) return false;
  const names = Object.keys(definition.States || {}).sort();
  return JSON.stringify(names) === JSON.stringify(info.state_names);
}

async function lastInput(machineArn) {
  const { executions } = await sfn("ListExecutions", { stateMachineArn: machineArn, maxResults: 1 });
  if (!executions.length) return {};
  const described = await sfn("DescribeExecution", { executionArn: executions[0].executionArn });
  return JSON.parse(described.input || "{}");
}

export async function renderStart(view, machineArn) {
  const [machine, info] = await Promise.all([sfn("DescribeStateMachine", { stateMachineArn: machineArn }), pipelineInfo()]);
  const definition = JSON.parse(machine.definition);
  const pipeline = isPipeline(definition, info);
  const initial = pipeline ? info.default_input : await lastInput(machineArn);
  view.innerHTML = `
    <div class="toolbar"><h1>Start execution · ${esc(machine.name)}</h1><a href="#/?machine=${encodeURIComponent(machineArn)}">Back to executions</a></div>
    <div class="row">
      <div class="panel grow">
        <label>Name (optional; the same name with the same input returns the same execution)<br>
          <input id="exec-name" size="48" placeholder="generated when empty"></label>
        <p><label for="exec-input"><b>Input</b></label>
          <span class="muted small">${pipeline ? `checked against <a href="/console/pipeline.json" target="_blank">${esc(info.schema_file)}</a> as you type`
            : "any JSON object (this state machine has no input schema)"}</span></p>
        <textarea id="exec-input" class="json" spellcheck="false">${esc(JSON.stringify(initial, null, 2))}</textarea>
        <div id="check"></div>
        <p><button id="start" class="primary">Start execution</button> <button id="reset">Reset to default</button></p>
        <div id="result"></div>
      </div>
      <div class="panel grow"><h2>Definition</h2><div class="graph" id="graph">${GRAPH_CONTROLS}</div></div>
    </div>`;
  // The picture goes into this page's own graph view, even when it arrives after the page was left.
  const graph = graphView(view.querySelector("#graph"));
  const allCatches = view.querySelector("#all-catches");
  const drawGraph = async () => {
    const r = await fetch(`/console/graph.svg?stateMachine=${encodeURIComponent(machineArn)}`
      + `&catchEdges=${allCatches.checked ? "all" : "collapsed"}`);
    graph.show(r.ok ? await r.text() : `<p class="muted">${esc((await r.json()).message)}</p>`);
  };
  allCatches.addEventListener("change", drawGraph);
  drawGraph();
  const editor = view.querySelector("#exec-input");
  const button = view.querySelector("#start");
  const checkNow = () => {
    const parsed = parseJson(editor.value);
    let problems = parsed.error ? [`not JSON: ${parsed.error}`] : [];
    if (!parsed.error) {
      if (pipeline) problems = validate(info.schema, parsed.value);
      else if (typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value)) problems = ["$: the input must be a JSON object"];
    }
    view.querySelector("#check").innerHTML = problems.length
      ? `<div class="error-box"><span class="err">ValidationException</span> the input does not match the schema<ul class="issues">${problems.map((p) => `<li>${esc(p)}</li>`).join("")}</ul></div>`
      : `<div class="ok-box" id="valid">Input is valid${pipeline ? " against " + esc(info.schema_file) : ""}.</div>`;
    button.disabled = problems.length > 0;
    return problems.length ? null : parsed.value;
  };
  let timer;
  editor.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(checkNow, 150); });
  view.querySelector("#reset").addEventListener("click", () => { editor.value = JSON.stringify(initial, null, 2); checkNow(); });
  button.addEventListener("click", async () => {
    const value = checkNow();
    if (value === null) return;
    button.disabled = true;
    const name = view.querySelector("#exec-name").value.trim();
    try {
      const started = await sfn("StartExecution", { stateMachineArn: machineArn, input: JSON.stringify(value), ...(name ? { name } : {}) });
      location.hash = `#/execution/${encodeURIComponent(started.executionArn)}`;
    } catch (err) {
      view.querySelector("#result").innerHTML = errorBox(err);
      button.disabled = false;
    }
  });
  checkNow();
  document.title = `Start · ${nameOf(machineArn)}`;
}
