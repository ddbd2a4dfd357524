// JSON Schema (draft 2020-12) checks for the execution input, in the browser.
// The console ships no third-party code (no CDN, no build step, works offline),
// so this covers exactly the keywords statemachine.input.schema.json uses:
// type, enum, required, properties, additionalProperties, propertyNames,
// minProperties, items, minItems, pattern, maxLength, minimum, maximum,
// exclusiveMinimum, const, if/then and local $ref. An unknown keyword is reported,
// never ignored.
const KNOWN = new Set(["$schema", "$id", "$comment", "title", "description", "$defs", "type", "enum",
  "required", "properties", "additionalProperties", "propertyNames", "minProperties", "items", "minItems",
  "pattern", "maxLength", "minimum", "maximum", "exclusiveMinimum", "const", "if", "then", "$ref"]);

function typeOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function matchesType(value, type) {
  const actual = typeOf(value);
  return actual === type || (type === "number" && actual === "integer");
}

function pathOf(parts) {
  return "$" + parts.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("");
}

function resolve(root, ref) {
  if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref}`);
  return ref.slice(2).split("/").reduce((node, key) => node[key], root);
}

function check(root, schema, value, at, problems) {
  const say = (message) => problems.push(`${pathOf(at)}: ${message}`);
  for (const key of Object.keys(schema)) {
    if (!KNOWN.has(key)) say(`the schema keyword ${key} is not checked by the console`);
  }
  if (schema.$ref) return check(root, resolve(root, schema.$ref), value, at, problems);
  if (schema.type && !matchesType(value, schema.type)) return say(`must be ${schema.type === "integer" ? "an integer" : `a ${schema.type}`}, not ${typeOf(value)}`);
  if (schema.enum && !schema.enum.some((v) => JSON.stringify(v) === JSON.stringify(value))) {
    say(`must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`);
  }
  if ("const" in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) {
    say(`must be ${JSON.stringify(schema.const)}`);
  }
  if (schema.if && schema.then) {
    const unmet = [];
    check(root, schema.if, value, at, unmet);
    if (!unmet.length) check(root, schema.then, value, at, problems);
  }
  if (typeof value === "string") {
    if (schema.pattern && !new RegExp(schema.pattern, "u").test(value)) say(`does not match ${schema.pattern}`);
    if (schema.maxLength !== undefined && [...value].length > schema.maxLength) say(`is longer than ${schema.maxLength} characters`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) say(`must be >= ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) say(`must be <= ${schema.maximum}`);
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) say(`must be > ${schema.exclusiveMinimum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) say(`needs at least ${schema.minItems} item(s)`);
    if (schema.items) value.forEach((item, i) => check(root, schema.items, item, [...at, i], problems));
  }
  if (typeOf(value) === "object") {
    const props = schema.properties || {};
    for (const name of schema.required || []) {
      if (!(name in value)) problems.push(`${pathOf([...at, name])}: is required`);
    }
    if (schema.minProperties !== undefined && Object.keys(value).length < schema.minProperties) {
      say(`needs at least ${schema.minProperties} field(s)`);
    }
    for (const [name, item] of Object.entries(value)) {
      if (schema.propertyNames?.pattern && !new RegExp(schema.propertyNames.pattern, "u").test(name)) {
        problems.push(`${pathOf([...at, name])}: the name does not match ${schema.propertyNames.pattern}`);
      }
      if (name in props) check(root, props[name], item, [...at, name], problems);
      else if (schema.additionalProperties === false) problems.push(`${pathOf([...at, name])}: is not an allowed field`);
      else if (typeof schema.additionalProperties === "object") check(root, schema.additionalProperties, item, [...at, name], problems);
    }
  }
  return problems;
}

// Problems of `value` against `schema`, each "$.path: what is wrong"; empty when valid.
export function validate(schema, value) {
  return check(schema, schema, value, [], []);
}

// Parses JSON text; returns {value} or {error} naming the line and column.
export function parseJson(text) {
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    const at = /position (\d+)/.exec(err.message);
    if (!at) return { error: err.message };
    const before = text.slice(0, Number(at[1]));
    const line = before.split("\n").length;
    const column = before.length - before.lastIndexOf("\n");
    return { error: `${err.message} (line ${line}, column ${column})` };
  }
}
