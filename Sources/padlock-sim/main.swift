import Simulation
print("padlock-sim: not built yet")
