// egress-tls: `serve` runs the HTTPS admission webhook, `render` previews offline what it would do.
// Everything else lives in Cli and the folders beside it; this file only hands over the process streams.
return await EgressTls.Webhook.Cli.RunAsync(args, Console.In, Console.Out, Console.Error);
