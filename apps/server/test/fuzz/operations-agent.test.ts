import { fuzzOperationsAs } from "./operations-suite.js";

await fuzzOperationsAs("agent");
