using BenchmarkDotNet.Running;
using Relay.Benchmarks.Support;

// dotnet run -c Release --project bench/Relay.Benchmarks -- --filter '*' [--job short]
BenchmarkSwitcher.FromAssembly(typeof(BenchConfig).Assembly).Run(BenchConfig.InProcess(args), BenchConfig.Create());
