Console.WriteLine("Autograd benchmarks: coming with the benchmarks issue.");
