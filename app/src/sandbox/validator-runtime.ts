// The rule set loaded into an interpreter in this process: the same Python the workers run, for
// measuring a check (the bench) and for testing the rules case by case without a worker each.
import { loadPyodide } from "pyodide";
import { VALIDATOR_SOURCE, type Verdict } from "./validator.js";

export type Check = (code: string, strict: boolean) => Verdict;

export async function loadValidator(): Promise<Check> {
  const pyodide = await loadPyodide({ jsglobals: Object.create(null) as object });
  pyodide.runPython(VALIDATOR_SOURCE);
  const check = pyodide.globals.get("bastion_check") as (code: string, strict: boolean) => string;
  return (code, strict) => JSON.parse(check(code, strict)) as Verdict;
}
