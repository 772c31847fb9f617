Console.WriteLine("Autograd examples: coming with the Nn issue.");
