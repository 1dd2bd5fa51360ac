// The one TensorFlow.js namespace the kit uses. Notebooks, checks and tests import `tf`
// from here so that only one copy of tfjs-core (and its kernel registry) is ever in play.
//
// We depend on tfjs-core plus two backends that always install offline (cpu, wasm) rather
// than on the `@tensorflow/tfjs` umbrella, which would also pull in webgl and print a
// "use tfjs-node" banner in Node. The native backend is optional; see ./backend.ts.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";

// tf.tidy runs its function through the engine's scopedRun, which catches every error to close
// the scope and then rethrows it (`catch (ex) { end(); throw ex; }`). A rethrow moves the place
// Node reports for an error that escapes a notebook cell: the learner saw tfjs's file and
// `throw ex; ^` above the message, whatever threw inside their tidy. try/finally closes the
// scope the same way without rethrowing, so the error surfaces where it was thrown (the kit's
// own message, or the learner's line). Same calls, same order, same result.
type ScopedRun = <R>(start: () => void, end: () => void, f: () => R) => R;
const engine = tf.engine() as unknown as { scopedRun?: ScopedRun };
if (typeof engine.scopedRun === "function" && engine.scopedRun.length === 3) {
  engine.scopedRun = function scopedRun<R>(start: () => void, end: () => void, f: () => R): R {
    start();
    let finished = false;
    try {
      const result = f();
      finished = true;
      end();
      return result;
    } finally {
      if (!finished) end();
    }
  };
}

export { tf };
