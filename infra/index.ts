import { declareEnvironment } from "./environment";
import { declareGlobal } from "./global";
import { loadGlobalSettings, loadScope, loadSettings } from "./settings";

// One program, three stacks: the environments prod and dr, and the global stack that owns what
// they share (autovideo-dr:scope). Settings fail here, before any resource is declared, on a bad
// or missing autovideo-dr:* key. The returned object is the stack's outputs.
export = loadScope() === "global" ? declareGlobal(loadGlobalSettings()) : declareEnvironment(loadSettings());
