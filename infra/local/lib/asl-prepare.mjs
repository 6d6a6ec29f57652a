// Turns a state machine definition into the one actually handed to aws-local-stepfunctions.
//
// The library sleeps inside Wait states and between retries with plain timers, and calls real
// AWS Lambda for every Task. None of that can be steered by a test clock or pointed at local
// endpoints, so before running:
//   * each Wait becomes a Task served by our handler, which parks on the facade clock and then
//     returns its input unchanged (InputPath/OutputPath/Next/End are kept, so the data flow is
//     the Wait's: output = OutputPath(InputPath(input)));
//   * each Task keeps its Parameters/ResultSelector/ResultPath/OutputPath/Catch, but loses Retry
//     and TimeoutSeconds: our handler runs the retry loop (so back-off waits use the facade clock
//     too) and per-attempt timeouts; the library's own 60 s default task timeout is lifted.
// Retry on Parallel/Map stays with the library (real-time sleeps, scaled by retryScale).
// The original definition is kept untouched for DescribeStateMachine.

// Large enough never to fire before the facade's own handling, small enough for setTimeout.
const LIBRARY_TASK_TIMEOUT_SECONDS = 2_000_000;
export const LOCAL_WAIT_RESOURCE = 'arn:aws:states:::local:clock-wait';

// Calls fn(stateName, state) for every state, nested Parallel branches and Map processors included.
export function forEachState(definition, fn) {
  const visit = (machine) => {
    for (const [name, state] of Object.entries(machine?.States ?? {})) {
      fn(name, state);
      if (state.Type === 'Parallel') for (const branch of state.Branches ?? []) visit(branch);
      if (state.Type === 'Map') visit(state.ItemProcessor ?? state.Iterator);
    }
  };
  visit(definition);
}

// Step Functions requires state names to be unique across the whole machine; the library's
// per-name overrides depend on it too, so reject duplicates the way AWS does.
export function checkUniqueStateNames(definition) {
  const seen = new Set();
  const dupes = new Set();
  forEachState(definition, (name) => (seen.has(name) ? dupes.add(name) : seen.add(name)));
  if (dupes.size) {
    throw new Error(`DUPLICATE_STATE_NAME: state names must be unique across the state machine: ${[...dupes].join(', ')}`);
  }
}

// Returns { definition: rewritten copy, states: Map(name -> original state) }.
export function prepareDefinition(original, { retryScale = 1 } = {}) {
  const definition = structuredClone(original);
  const states = new Map();
  forEachState(original, (name, state) => states.set(name, state));

  const rewrite = (machine) => {
    for (const [name, state] of Object.entries(machine?.States ?? {})) {
      if (state.Type === 'Wait') {
        machine.States[name] = {
          Type: 'Task',
          Resource: LOCAL_WAIT_RESOURCE,
          TimeoutSeconds: LIBRARY_TASK_TIMEOUT_SECONDS,
          ...pick(state, ['Comment', 'InputPath', 'OutputPath', 'Next', 'End']),
        };
      } else if (state.Type === 'Task') {
        delete state.Retry;
        delete state.TimeoutSecondsPath;
        delete state.HeartbeatSeconds;
        delete state.HeartbeatSecondsPath;
        state.TimeoutSeconds = LIBRARY_TASK_TIMEOUT_SECONDS;
      } else if ((state.Type === 'Parallel' || state.Type === 'Map') && state.Retry && retryScale !== 1) {
        // The library computes IntervalSeconds * BackoffRate^n and clamps to MaxDelaySeconds;
        // scaling both keeps the back-off shape while shrinking real sleeps.
        state.Retry = state.Retry.map((r) => ({
          ...r,
          IntervalSeconds: (r.IntervalSeconds ?? 1) * retryScale,
          ...(r.MaxDelaySeconds !== undefined ? { MaxDelaySeconds: r.MaxDelaySeconds * retryScale } : {}),
        }));
      }
      if (state.Type === 'Parallel') for (const branch of state.Branches ?? []) rewrite(branch);
      if (state.Type === 'Map') rewrite(state.ItemProcessor ?? state.Iterator);
    }
  };
  rewrite(definition);
  return { definition, states };
}

function pick(obj, keys) {
  const out = {};
  for (const k of keys) if (k in obj) out[k] = obj[k];
  return out;
}
