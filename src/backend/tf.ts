// The one TensorFlow.js entry point of the kit. The `@tensorflow/tfjs` bundle registers every gradient
// and the chained tensor methods on the shared tfjs-core engine (tfjs-core's own Node entry does
// neither, and its ESM files cannot be imported by Node directly); the kit uses core's API from it.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';

export * as tf from '@tensorflow/tfjs-core';
