/**
 * The dashboard's root: subscribes to the store's frames (one React render per frame), turns keys
 * into commands through the key map, and lays the panes out for the terminal's size. The view's
 * commands go to the store; actions on the stack go to the controller with the selected service
 * (and container) as their target.
 */
import { Box, useInput } from "ink";
import { useSyncExternalStore } from "react";
import { type ActionName, commandsFor, type KeyFlags } from "../keymap.js";
import type { ContainerInfo } from "../model.js";
import type { DashboardStore } from "../store.js";
import { EventsStrip } from "./EventsStrip.js";
import { Footer } from "./Footer.js";
import { GraphView } from "./GraphView.js";
import { Header } from "./Header.js";
import { HelpOverlay } from "./HelpOverlay.js";
import { LogsPane, nameWidthOf } from "./LogsPane.js";
import { ProbeOverlay } from "./ProbeOverlay.js";
import { ServicesPane } from "./ServicesPane.js";

/** What an action acts on: the selected service, and the selected replica's container if any. */
export interface Target {
  readonly service: string;
  readonly container: ContainerInfo | undefined;
  /** A replica row is selected (else the service row). */
  readonly replica: boolean;
}

/** The controller, as the view sees it. */
export interface Actions {
  act(action: ActionName, target: Target | undefined): void;
  /** Ctrl-C: the first stops the stack, the second kills it. */
  interrupt(): void;
  /** The probe overlay opened: fresh healthcheck output for the target, please. */
  inspect(target: Target): void;
}

export interface DashboardProps {
  readonly store: DashboardStore;
  readonly actions: Actions;
}

export function targetOf(store: DashboardStore): Target | undefined {
  const row = store.rows().find((r) => r.id === store.view.selected);
  if (!row) return undefined;
  return { service: row.service, container: row.container, replica: row.kind === "replica" };
}

export function Dashboard({ store, actions }: DashboardProps) {
  useSyncExternalStore(store.subscribe, store.getFrame);
  useInput(
    (input: string, key: KeyFlags) => {
      for (const command of commandsFor(input, key, store.view)) {
        switch (command.kind) {
          case "view": {
            store.dispatch(command.action);
            const target = targetOf(store);
            if (command.action.type === "overlay" && store.view.overlay === "probe" && target) {
              actions.inspect(target);
            }
            break;
          }
          case "act":
            actions.act(command.action, targetOf(store));
            break;
          case "interrupt":
            actions.interrupt();
            break;
        }
      }
      store.keyPressed();
    },
    { isActive: !store.suspended },
  );
  if (store.suspended) return null;

  const { model, view, size, theme } = store;
  const width = Math.max(20, size.columns);
  const rows = store.rows();
  const lay = store.layout();
  const overlay = view.overlay === "confirm-down" ? "none" : view.overlay;
  const selectedRow = rows.find((r) => r.id === view.selected);
  const shown = store.logs
    .names()
    .filter((n) =>
      view.logs.filter.kind === "all"
        ? true
        : view.logs.filter.kind === "service"
          ? n.service === view.logs.filter.service
          : n.name === view.logs.filter.source,
    );
  return (
    <Box flexDirection="column" width={width}>
      <Header model={model} width={width} theme={theme} />
      {overlay === "help" ? (
        <HelpOverlay width={width} height={lay.body} theme={theme} />
      ) : overlay === "graph" ? (
        <GraphView model={model} rows={rows} width={width} height={lay.body} theme={theme} />
      ) : overlay === "probe" ? (
        <ProbeOverlay model={model} row={selectedRow} width={width} height={lay.body} theme={theme} />
      ) : (
        <>
          {lay.narrow ? null : (
            <ServicesPane
              rows={rows}
              selected={view.selected}
              focus={view.focus}
              width={width}
              height={lay.services}
              theme={theme}
            />
          )}
          <LogsPane
            logs={store.logs}
            view={view.logs}
            search={view.search}
            focus={lay.narrow ? "logs" : view.focus}
            project={model.project}
            nameWidth={nameWidthOf(shown, model.project)}
            width={width}
            height={lay.logs}
            theme={theme}
          />
        </>
      )}
      {lay.narrow || lay.events === 0 ? null : (
        <EventsStrip
          events={model.events}
          project={model.project}
          width={width}
          height={lay.events}
          theme={theme}
        />
      )}
      <Footer view={view} notice={model.notice} width={width} theme={theme} />
    </Box>
  );
}
