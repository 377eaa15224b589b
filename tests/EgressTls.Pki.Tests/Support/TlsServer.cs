using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace EgressTls.Pki.Tests.Support;

/// <summary>`openssl s_server -www` on 127.0.0.1 and an ephemeral port, presenting a leaf and its chain.</summary>
internal sealed class TlsServer : IDisposable
{
    private readonly Process process;

    private TlsServer(Process process, int port)
    {
        this.process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Starts a server for an issued leaf (tls.crt = leaf + intermediates, tls.key).</summary>
    public static TlsServer Start(TempDir dir, IssuedLeaf leaf)
    {
        var blocks = Pem.Blocks(leaf.TlsCrt);
        var certFile = dir.Write("server-leaf.crt", Pem.Encode("CERTIFICATE", blocks[0].Der!));
        var keyFile = dir.Write("server.key", leaf.TlsKey);
        var args = new List<string> { "s_server", "-cert", certFile, "-key", keyFile, "-www", "-naccept", "1000" };
        if (blocks.Count > 1)
        {
            args.AddRange(["-cert_chain", dir.Write("server-chain.crt", string.Concat(blocks.Skip(1).Select(b => Pem.Encode("CERTIFICATE", b.Der!))))]);
        }

        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var psi = new ProcessStartInfo(Tool.Find("openssl"))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (var a in args.Concat(["-accept", $"127.0.0.1:{port}"]))
            {
                psi.ArgumentList.Add(a);
            }

            var p = Process.Start(psi)!;
            p.ErrorDataReceived += (_, _) => { };
            p.BeginErrorReadLine();
            // s_server prints "ACCEPT" once it listens (after e.g. "Using default temp DH parameters").
            if (WaitForAccept(p.StandardOutput, TimeSpan.FromSeconds(15)))
            {
                _ = p.StandardOutput.ReadToEndAsync();
                return new TlsServer(p, port);
            }

            p.Kill(entireProcessTree: true);
            p.Dispose();
            if (attempt >= 3)
            {
                throw new InvalidOperationException("openssl s_server did not start");
            }
        }
    }

    private static bool WaitForAccept(StreamReader stdout, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var line = stdout.ReadLineAsync();
            if (!line.Wait(deadline - DateTime.UtcNow) || line.Result is null)
            {
                return false;
            }

            if (line.Result.StartsWith("ACCEPT", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
    }
}
