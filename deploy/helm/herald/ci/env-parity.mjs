// Config parity between the apps and the chart, run by scripts/check-chart.sh:
//   node env-parity.mjs --rendered <helm template output> --exceptions <env-parity.yaml> <doc.md>...
// Every environment variable a doc lists in a table (first column, `NAME`) must be set by some
// container of the rendered chart (env or envFrom ConfigMap), and every variable the chart sets must
// be documented, unless ci/env-parity.yaml lists it with a reason. Failures say what to add where.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';

const ENV_NAME = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/;
const CHART = 'deploy/helm/herald';

/**
 * Variable -> { doc, defaultValue } from the first cell of every row of the docs' markdown tables
 * headed `| variable | …` (tables of named constants or metrics list no environment variables).
 */
function documentedVariables(docPaths) {
  const documented = new Map();
  for (const path of docPaths) {
    let inVariableTable = false;
    let previousLine = '';
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const tableStarts = line.startsWith('|') && !previousLine.startsWith('|');
      previousLine = line;
      if (!line.startsWith('|')) continue;
      const cells = line.split('|').map((cell) => cell.trim());
      if (tableStarts) inVariableTable = cells[1].toLowerCase() === 'variable';
      if (!inVariableTable) continue;
      // `NAME` or `NAME=value` in the first cell; `OTEL_BSP_*` and `..._ENDPOINT` are patterns, not names.
      for (const [, name] of cells[1].matchAll(/`([^`=]+)(?:=[^`]*)?`/g)) {
        if (ENV_NAME.test(name) && !documented.has(name)) {
          const defaultValue = (cells[2] ?? '').replaceAll('`', '');
          documented.set(name, { doc: relative(process.cwd(), path), defaultValue });
        }
      }
    }
  }
  return documented;
}

/** Every variable a container of the rendered chart gets, directly or from a ConfigMap of the chart. */
function chartVariables(renderedPath) {
  const manifests = parseAllDocuments(readFileSync(renderedPath, 'utf8'))
    .map((document) => document.toJS())
    .filter((manifest) => manifest !== null && typeof manifest === 'object');
  const configMaps = new Map(
    manifests
      .filter((manifest) => manifest.kind === 'ConfigMap')
      .map((manifest) => [manifest.metadata.name, Object.keys(manifest.data ?? {})]),
  );
  const variables = new Set();
  for (const manifest of manifests) {
    const pod = manifest.spec?.template?.spec ?? manifest.spec?.jobTemplate?.spec?.template?.spec;
    for (const container of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
      for (const { name } of container.env ?? []) variables.add(name);
      for (const source of container.envFrom ?? []) {
        for (const name of configMaps.get(source.configMapRef?.name) ?? []) variables.add(name);
      }
    }
  }
  return variables;
}

const camel = (words) =>
  words
    .toLowerCase()
    .split('_')
    .map((word, index) => (index === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1)))
    .join('');

/** Where a variable of this family belongs in the chart. */
function placementOf(variable) {
  const families = [
    [
      'HERALD_SIP_',
      'sipEdge',
      'templates/sip-edge/statefulset.yaml (container env)',
      'tests/sip-edge_test.yaml',
    ],
    ['HERALD_AUTH_', 'auth', 'templates/auth/deployment.yaml (its $env list)', 'tests/config_test.yaml'],
    ['KAFKA_', 'kafka', 'templates/common/configmap.yaml', 'tests/config_test.yaml'],
    ['DATABASE_', 'postgres', 'templates/common/configmap.yaml', 'tests/config_test.yaml'],
    ['OTEL_', 'otel', 'templates/common/configmap.yaml', 'tests/observability_test.yaml'],
    ['HERALD_', 'herald', 'templates/common/configmap.yaml', 'tests/config_test.yaml'],
  ];
  const [prefix, section, template, test] = families.find(([family]) => variable.startsWith(family)) ?? [
    '',
    'herald',
    'templates/common/configmap.yaml',
    'tests/config_test.yaml',
  ];
  return { section, key: camel(variable.slice(prefix.length)), template, test };
}

function missingFromChart(variable, { doc, defaultValue }) {
  const { section, key, template, test } = placementOf(variable);
  const value = `${section}.${key}`;
  const line = template.includes('configmap')
    ? `${variable}: {{ .Values.${value} | quote }}`
    : `- name: ${variable}\n        value: {{ .Values.${value} | quote }}`;
  return [
    `${variable} (${doc}) is not set by the chart. Add, in ${CHART}:`,
    `  values.yaml: ${value}: ${defaultValue || '<its default>'}   with a comment above it naming ${variable}`,
    `  values.schema.json: properties.${section}.properties.${key} (and ${key} in that object's "required")`,
    `  ${template}:\n        ${line}`,
    `  ${test}: a case that sets ${value} and asserts ${variable}`,
    `  ci/every-setting-values.yaml: a value for it, if the template renders ${variable} only when set`,
    `or, if the chart must not offer it: "${variable}: <why>" under notInChart in ${CHART}/ci/env-parity.yaml`,
  ].join('\n');
}

function main() {
  const { values, positionals: docPaths } = parseArgs({
    options: { rendered: { type: 'string' }, exceptions: { type: 'string' } },
    allowPositionals: true,
  });
  if (values.rendered === undefined || values.exceptions === undefined || docPaths.length === 0) {
    throw new Error('usage: env-parity.mjs --rendered <file> --exceptions <file> <doc.md>...');
  }
  const { notInChart = {}, chartOnly = {} } = parse(readFileSync(values.exceptions, 'utf8'));
  const documented = documentedVariables(docPaths);
  const rendered = chartVariables(values.rendered);
  const problems = [];
  for (const [variable, source] of documented) {
    if (!rendered.has(variable) && !(variable in notInChart))
      problems.push(missingFromChart(variable, source));
  }
  for (const variable of rendered) {
    if (!documented.has(variable) && !(variable in chartOnly)) {
      problems.push(
        `${variable} is set by the chart but no doc lists it (${docPaths.join(', ')}): fix its name if the app ` +
          `reads another, document it where the app reads it, or add "${variable}: <why>" under chartOnly in ` +
          `${CHART}/ci/env-parity.yaml`,
      );
    }
  }
  for (const variable of Object.keys(notInChart)) {
    if (!documented.has(variable) || rendered.has(variable)) {
      problems.push(
        `${variable} is listed under notInChart but is ${rendered.has(variable) ? 'set by the chart' : 'documented nowhere'}: remove it from ${CHART}/ci/env-parity.yaml`,
      );
    }
  }
  for (const variable of Object.keys(chartOnly)) {
    if (documented.has(variable) || !rendered.has(variable)) {
      problems.push(
        `${variable} is listed under chartOnly but is ${documented.has(variable) ? 'documented' : 'not set by the chart'}: remove it from ${CHART}/ci/env-parity.yaml`,
      );
    }
  }
  if (problems.length > 0) {
    console.error(problems.join('\n\n'));
    process.exit(1);
  }
  console.log(
    `env parity: the chart sets all ${documented.size - Object.keys(notInChart).length} documented variables it offers`,
  );
}

main();
