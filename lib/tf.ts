// The one TensorFlow.js namespace the kit uses. Notebooks, checks and tests import `tf`
// from here so that only one copy of tfjs-core (and its kernel registry) is ever in play.
//
// We depend on tfjs-core plus two backends that always install offline (cpu, wasm) rather
// than on the `@tensorflow/tfjs` umbrella, which would also pull in webgl and print a
// "use tfjs-node" banner in Node. The native backend is optional; see ./backend.ts.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";

export { tf };
