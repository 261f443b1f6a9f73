/** `--format` templates must render as docker/cli renders them: fields, methods, functions, tables. */
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.js";
import {
  execute,
  formatRows,
  parseTemplate,
  TemplateStruct,
  tabwrite,
} from "../../../src/ui/plain/go-template.js";
import type { ContainerSummary } from "../../../src/runtime/runtime.js";
import { psFormat } from "../../../src/ui/plain/ps-format.js";

const row = new TemplateStruct("*formatter.ContainerContext", {
  Name: "app-web-1",
  Service: "web",
  ExitCode: 0,
  Label: (name) => ({ tier: "front", "com.docker.compose.service": "web" })[String(name)] ?? "",
  Publishers: [new TemplateStruct("api.PortPublisher", { URL: "0.0.0.0", TargetPort: 80 })],
});
const render = (source: string): string => execute(parseTemplate(source), row);

describe("go template", () => {
  it("prints fields, method calls with arguments, and literal text around them", () => {
    expect(render('{{.Name}} ({{.Service}}) {{.Label "tier"}} exit={{.ExitCode}}')).toBe(
      "app-web-1 (web) front exit=0",
    );
  });

  it("runs docker/cli's functions, alone and through pipes", () => {
    expect(render("{{upper .Service}}|{{.Name | upper}}|{{json .Publishers}}|{{json .Name}}")).toBe(
      'WEB|APP-WEB-1|[{"URL":"0.0.0.0","TargetPort":80}]|"app-web-1"',
    );
    expect(render("{{json .}}")).toBe(
      '{"Name":"app-web-1","Service":"web","ExitCode":0,"Publishers":[{"URL":"0.0.0.0","TargetPort":80}]}',
    );
  });

  it("trims spaces around {{- and -}}", () => {
    expect(render("a  {{- .Service -}}  b")).toBe("awebb");
  });

  it("refuses an unknown field, function or action with Go's sentence", () => {
    expect(() => render("{{.Nope}}")).toThrow(
      'template parsing error: template: :1:3: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext',
    );
    expect(() => render("{{nope .Name}}")).toThrow(UsageError);
    expect(() => render("{{range .Publishers}}x{{end}}")).toThrow(/not supported/);
    expect(() => render("{{.Name")).toThrow(/unclosed action/);
  });

  it("prints a header row in table mode, `<no value>` for a field without a header, and aligns like tabwriter", () => {
    const text = formatRows(
      'table {{.Name}}\\t{{.Label "com.docker.compose.service"}}\\t{{.ExitCode}}',
      [row],
      {
        Name: "NAME",
      },
    );
    expect(text).toBe(["NAME        service   <no value>", "app-web-1   web       0", ""].join("\n"));
  });

  it("prints one line per row without a header outside table mode; `json` is {{json .}}", () => {
    expect(formatRows("{{.Service}}", [row, row], {})).toBe("web\nweb\n");
    expect(formatRows("json", [new TemplateStruct("T", { A: 1 })], {})).toBe('{"A":1}\n');
  });

  it("measures each column over the run of lines that have it, as Go's tabwriter blocks do", () => {
    expect(tabwrite("a\tb\nlonger-than-ten\tc\nx\n\ny\tz\n")).toBe(
      ["a                 b", "longer-than-ten   c", "x", "", "y         z", ""].join("\n"),
    );
  });
});

describe("ps --format", () => {
  const now = new Date("2024-05-01T10:00:00Z");
  const container: ContainerSummary = {
    id: "0123456789abcdef0123",
    name: "webapp-web-1",
    image: "nginx",
    imageId: "sha256:abc",
    labels: { "com.docker.compose.project": "webapp", "com.docker.compose.service": "web" },
    status: "running",
    statusText: "Up 5 minutes",
    created: new Date(now.getTime() - 5 * 60_000),
    ports: [{ containerPort: 80, protocol: "tcp", hostIp: "0.0.0.0", hostPort: "8080" }],
    command: "/docker-entrypoint.sh nginx -g 'daemon off;'",
  };

  it("truncates the ID and command unless --no-trunc", () => {
    const format = "{{.ID}} {{.Command}}";
    expect(psFormat([container], now, format)).toBe('0123456789ab "/docker-entrypoint.…"\n');
    expect(psFormat([container], now, format, false)).toBe(
      `0123456789abcdef0123 ${JSON.stringify(container.command)}\n`,
    );
  });

  it("names the columns as docker compose ps does", () => {
    expect(
      psFormat([container], now, "table {{.ID}}\\t{{.Service}}\\t{{.State}}\\t{{.Ports}}\\t{{.Project}}"),
    ).toBe(
      [
        "CONTAINER ID   SERVICE   STATE     PORTS                  PROJECT",
        "0123456789ab   web       running   0.0.0.0:8080->80/tcp   webapp",
        "",
      ].join("\n"),
    );
  });
});
