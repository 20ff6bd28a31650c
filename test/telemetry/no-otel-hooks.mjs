// Module hooks (node:module register) that make `@opentelemetry/*` absent: resolving it fails
// as it does when the package is not installed (ERR_MODULE_NOT_FOUND). They report to the
// program that registered them, over its port, every such specifier asked for and every
// module loaded (its URL), so that the test sees what was tried and what was loaded.
let port;

export function initialize(data) {
  port = data.port;
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier.startsWith('@opentelemetry/')) {
    port.postMessage({ kind: 'asked', what: specifier });
    const err = new Error(`Cannot find package '${specifier}' imported from ${context.parentURL}`);
    err.code = 'ERR_MODULE_NOT_FOUND';
    throw err;
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  port.postMessage({ kind: 'loaded', what: url });
  return nextLoad(url, context);
}
