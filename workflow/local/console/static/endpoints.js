// Endpoints: status, instance count over time (scaling activities), invocation metrics.
import { all, autoscaling, sagemaker } from "./api.js";
import { badge, esc, every, when } from "./util.js";

const COUNT = /desired instance count to (\d+)/i;

// A step chart of the instance count: the variant's initial count, then each
// successful scaling activity's new desired count, up to now.
function countChart(variant, activities) {
  const points = [];
  const done = activities.filter((a) => a.StatusCode === "Successful" && COUNT.test(a.Description || ""))
    .sort((a, b) => a.StartTime - b.StartTime);
  const now = Date.now() / 1000;
  const first = done.length ? done[0].StartTime - 60 : now - 600;
  let count = done.length ? Number(COUNT.exec(done[0].Description)[1]) : variant.CurrentInstanceCount || 0;
  if (done.length) count = Math.max(1, count - 1);
  points.push([first, variant.CurrentInstanceCount && !done.length ? variant.CurrentInstanceCount : count]);
  for (const a of done) points.push([a.EndTime || a.StartTime, Number(COUNT.exec(a.Description)[1])]);
  points.push([now, variant.CurrentInstanceCount ?? points[points.length - 1][1]]);
  const w = 640, h = 150, pad = 30;
  const t0 = points[0][0], t1 = Math.max(now, t0 + 1);
  const maxCount = Math.max(2, ...points.map((p) => p[1]), variant.DesiredInstanceCount || 0);
  const x = (t) => pad + ((t - t0) / (t1 - t0)) * (w - 2 * pad);
  const y = (c) => h - pad + 10 - (c / maxCount) * (h - pad - 10);
  let d = `M${x(points[0][0])},${y(points[0][1])}`;
  for (let i = 1; i < points.length; i += 1) d += ` H${x(points[i][0])} V${y(points[i][1])}`;
  const ticks = Array.from({ length: maxCount + 1 }, (_, c) => `<text x="${pad - 8}" y="${y(c) + 4}" text-anchor="end" font-size="10" fill="#5f6b7a">${c}</text>
    <line x1="${pad}" x2="${w - pad}" y1="${y(c)}" y2="${y(c)}" stroke="#eaeded"/>`).join("");
  return `<svg class="chart" viewBox="0 0 ${w} ${h}" role="img" aria-label="instance count over time">${ticks}
    <path d="${d}" fill="none" stroke="#0073bb" stroke-width="2"/>
    <text x="${pad}" y="${h - 4}" font-size="10" fill="#5f6b7a">${esc(when(t0))}</text>
    <text x="${w - pad}" y="${h - 4}" font-size="10" fill="#5f6b7a" text-anchor="end">now</text></svg>`;
}

async function endpointPanel(summary) {
  const endpoint = await sagemaker("DescribeEndpoint", { EndpointName: summary.EndpointName });
  const variants = endpoint.ProductionVariants || [];
  const sections = await Promise.all(variants.map(async (v) => {
    const resource = `endpoint/${endpoint.EndpointName}/variant/${v.VariantName}`;
    let activities = [];
    let note = "";
    try {
      activities = await all("autoscaling", "DescribeScalingActivities", { ServiceNamespace: "sagemaker", ResourceId: resource }, "ScalingActivities", "NextToken");
    } catch (err) {
      note = `Scaling activities unavailable: ${esc(err.message)}`;
    }
    const targets = await autoscaling("DescribeScalableTargets", { ServiceNamespace: "sagemaker", ResourceIds: [resource] }).catch(() => ({ ScalableTargets: [] }));
    const target = targets.ScalableTargets[0];
    return `<h2 style="margin-top:10px">Variant ${esc(v.VariantName)}</h2>
      <dl class="kv"><dt>Instances</dt><dd data-instances="${v.CurrentInstanceCount ?? ""}">${v.CurrentInstanceCount ?? "—"} running, ${v.DesiredInstanceCount ?? "—"} desired</dd>
      <dt>Autoscaling</dt><dd>${target ? `${target.MinCapacity}–${target.MaxCapacity} instances` : "not registered"}</dd></dl>
      ${countChart(v, activities)}${note ? `<p class="muted">${note}</p>` : ""}
      ${activities.length ? `<details><summary class="small">${activities.length} scaling activities</summary><table><thead><tr><th>Start</th><th>Status</th><th>Description</th><th>Cause</th></tr></thead><tbody>
        ${activities.map((a) => `<tr><td class="small">${when(a.StartTime)}</td><td>${badge(a.StatusCode)}</td><td>${esc(a.Description)}</td><td class="small">${esc(a.Cause)}</td></tr>`).join("")}</tbody></table></details>` : ""}`;
  }));
  return `<div class="panel" data-endpoint="${esc(endpoint.EndpointName)}">
    <div class="toolbar"><h2 style="margin:0 auto 0 0">${esc(endpoint.EndpointName)}</h2>${badge(endpoint.EndpointStatus)}</div>
    <dl class="kv"><dt>Config</dt><dd>${esc(endpoint.EndpointConfigName)}</dd><dt>Created</dt><dd>${when(endpoint.CreationTime)}</dd>
      <dt>Last modified</dt><dd>${when(endpoint.LastModifiedTime)}</dd>
      ${endpoint.FailureReason ? `<dt>Failure</dt><dd>${esc(endpoint.FailureReason)}</dd>` : ""}
      <dt>Invocations</dt><dd class="muted">Invocation rate and latency are CloudWatch metrics (AWS/SageMaker Invocations, ModelLatency); this server publishes no CloudWatch API, so they are not shown here.</dd></dl>
    ${sections.join("")}</div>`;
}

export async function renderEndpoints(view) {
  view.innerHTML = `<div class="toolbar"><h1>Endpoints</h1></div><div id="endpoints"><p class="muted">Loading…</p></div>`;
  const refresh = async () => {
    let endpoints;
    try {
      endpoints = await all("sagemaker", "ListEndpoints", { MaxResults: 100 }, "Endpoints", "NextToken");
    } catch (err) {
      view.querySelector("#endpoints").innerHTML = `<p class="muted">Endpoints are not available: ${esc(err.message)}</p>`;
      return;
    }
    view.querySelector("#endpoints").innerHTML = endpoints.length
      ? (await Promise.all(endpoints.map(endpointPanel))).join("")
      : `<div class="panel"><p class="muted">No endpoints. A pipeline run that passes its quality gate creates one.</p></div>`;
  };
  return every(5000, refresh);
}
