// danfojs-node requires "@tensorflow/tfjs-node". The real package (the native backend) throws when its addon is not
// built and switches the active backend to "tensorflow" when it is, so a notebook that loads danfojs after choosing
// another backend would lose it. danfojs gets the project's plain TensorFlow.js instead, the same instance.
module.exports = require("@tensorflow/tfjs");
