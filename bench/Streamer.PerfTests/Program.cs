Console.Error.WriteLine("Streamer.PerfTests: the tick-to-exit latency harness is not built yet (issue 4)");
return 3;
