print("padlock-fuzz: under construction")
