// The AWS APIs of this same server, called exactly as an SDK does: POST / with
// X-Amz-Target and the awsJson content type of each service.
const SERVICES = {
  stepfunctions: { target: "AWSStepFunctions", type: "application/x-amz-json-1.0" },
  sagemaker: { target: "SageMaker", type: "application/x-amz-json-1.1" },
  autoscaling: { target: "AnyScaleFrontendService", type: "application/x-amz-json-1.1" },
  cloudwatch: { target: "GraniteServiceVersion20100801", type: "application/x-amz-json-1.0" },
};

export class AwsError extends Error {
  constructor(code, message, status) {
    super(`${code}: ${message}`);
    this.code = code;
    this.status = status;
  }
}

export async function call(service, operation, params = {}) {
  const { target, type } = SERVICES[service];
  const response = await fetch("/", {
    method: "POST",
    headers: { "Content-Type": type, "X-Amz-Target": `${target}.${operation}` },
    body: JSON.stringify(params),
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : {};
  if (!response.ok) {
    const code = String(body.__type || response.status).split("#").pop();
    throw new AwsError(code, body.message || body.Message || text, response.status);
  }
  return body;
}

// Every page of a paginated call, the items of `key` concatenated.
export async function all(service, operation, params, key, tokenKey = "nextToken", limit = 50) {
  const items = [];
  let token;
  for (let page = 0; page < limit; page += 1) {
    const answer = await call(service, operation, token ? { ...params, [tokenKey]: token } : params);
    items.push(...(answer[key] || []));
    token = answer[tokenKey];
    if (!token) break;
  }
  return items;
}

export const sfn = (operation, params) => call("stepfunctions", operation, params);
export const sagemaker = (operation, params) => call("sagemaker", operation, params);
export const autoscaling = (operation, params) => call("autoscaling", operation, params);
export const cloudwatch = (operation, params) => call("cloudwatch", operation, params);
