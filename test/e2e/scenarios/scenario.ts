// What a scenario is: a fixture workspace, how the editor is started for it, and what the user does
// and sees. The harness (editorSession.ts) copies the fixture, starts code-server and a browser tab,
// and keeps a screenshot and the logs when the scenario fails.
import type { Workbench } from '../driver';
import type { RunningCodeServer } from '../codeServer';

export interface ScenarioContext {
  workbench: Workbench;
  /** The throw-away copy of the fixture that the editor has open. */
  workspaceDir: string;
  server: RunningCodeServer;
  /** Whatever the scenario's `prepare` returned. */
  prepared: PreparedScenario;
}

/** Done before code-server starts (e.g. a fake API whose URL goes into user settings). */
export interface PreparedScenario {
  userSettings?: Record<string, unknown>;
  /** Values the scenario needs later (a fake server handle, a trap). */
  state?: Record<string, unknown>;
  dispose?: () => Promise<void>;
}

export interface Scenario {
  /** Short kebab-case id, used for screenshot names. */
  id: string;
  title: string;
  /** Folder name under test/e2e/fixtures/. */
  fixture: string;
  /** False opens the workspace in Restricted Mode. Default true. */
  trusted?: boolean;
  prepare?: (workspaceDir: string) => Promise<PreparedScenario>;
  run: (context: ScenarioContext) => Promise<void>;
}
