import { spawn } from "node:child_process";
import { noExtraPositionals } from "../args.js";
import type { CommandGroup, Subcommand } from "../command.js";
import type { Context } from "../context.js";
import { CliError } from "../errors.js";

const usage = `Usage: staple board [link] [--open]
       staple board open

Signs a browser in to the board. Mints a one-time login link (valid 24 hours, good for one sign-in)
and prints it; opening it in a browser sets the board's session cookie and shows the board.
\`--open\` (or \`staple board open\`) also tries to open it with xdg-open / open.

Needs a board credential: on the server's machine the board token file ($STAPLE_HOME/board-token)
is used by itself; elsewhere pass --api-key.

Global options: --json, --api <url>, --api-key <key>, --home <dir>
`;

/** The platform's "open this URL" command; absent or failing, it only costs a note. */
function openInBrowser(ctx: Context, url: string): Promise<void> {
  const command = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, [url], { stdio: "ignore", detached: true });
    } catch {
      ctx.note(`Could not run ${command}: open the link above yourself.`);
      return resolve();
    }
    child.once("error", () => {
      ctx.note(`${command} is not available here: open the link above yourself.`);
      resolve();
    });
    child.once("spawn", () => {
      child.unref();
      resolve();
    });
  });
}

async function mintLink(ctx: Context, open: boolean) {
  const link = await ctx.call(ctx.client.POST("/api/board/login-links"));
  // Typed by the document, but checked: a server that is not Staple may answer any JSON.
  if (typeof link?.url !== "string") throw new CliError("the server did not return a login link (is it a Staple server?)");
  if (ctx.globals.json) ctx.printJson(link);
  else {
    ctx.print(link.url);
    ctx.note(`Open this link in your browser to sign in to the board (works once, until ${link.expiresAt}).`);
  }
  if (open) await openInBrowser(ctx, link.url);
}

const link: Subcommand = {
  options: { open: { type: "boolean" } },
  run(ctx, parsed) {
    noExtraPositionals(parsed, 0, usage);
    return mintLink(ctx, parsed.values.open === true);
  },
};

export const boardGroup: CommandGroup = {
  name: "board",
  summary: "print a one-time login link that signs a browser in to the board",
  usage,
  default: "link",
  subcommands: {
    link,
    open: {
      run(ctx, parsed) {
        noExtraPositionals(parsed, 0, usage);
        return mintLink(ctx, true);
      },
    },
  },
};
