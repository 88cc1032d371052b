Console.WriteLine("usage: dotnet run -c Release --project ProfileStudio.Bench -- <benchmark>");
