return EgressTls.Webhook.Cli.Run(args);
