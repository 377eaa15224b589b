using EgressTls.Webhook.CommandLine;
using EgressTls.Webhook.Rendering;
using EgressTls.Webhook.Serving;

namespace EgressTls.Webhook;

/// <summary>Command-line entry point: <c>egress-tls serve</c> and <c>egress-tls render</c>.</summary>
internal static class Cli
{
    public const string Usage = """
        usage: egress-tls <command> [options]

        commands:
          serve    serve the HTTPS admission webhook (POST /mutate)
          render   print what the webhook would do to the Pods and workloads of a manifest (offline)

        Run `egress-tls <command> --help` for the options of a command.
        Exit codes: 0 success, 1 render found invalid input or denied an object, 2 usage or configuration error.
        """;

    /// <summary>Runs the command in <paramref name="args"/> and returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (args.Length == 0)
        {
            await stderr.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }

        var rest = args[1..];
        try
        {
            return args[0] switch
            {
                "serve" => await ServeCommand.RunAsync(rest, stdout, stderr, environment).ConfigureAwait(false),
                "render" => await RenderCommand.RunAsync(rest, stdin, stdout, stderr, environment).ConfigureAwait(false),
                "-h" or "--help" or "help" => await WriteAsync(stdout, Usage, 0).ConfigureAwait(false),
                _ => await WriteAsync(stderr, $"egress-tls: unknown command \"{args[0]}\"\n\n{Usage}", 2).ConfigureAwait(false),
            };
        }
        catch (UsageException ex)
        {
            return await WriteAsync(stderr, $"egress-tls {args[0]}: {ex.Message}\nRun `egress-tls {args[0]} --help` for usage.", 2).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug, not a user mistake: say so, with the stack for the report.
            return await WriteAsync(stderr, $"egress-tls {args[0]}: internal error: {ex}", 1).ConfigureAwait(false);
        }
    }

    private static async Task<int> WriteAsync(TextWriter writer, string text, int exitCode)
    {
        await writer.WriteLineAsync(text).ConfigureAwait(false);
        return exitCode;
    }
}
