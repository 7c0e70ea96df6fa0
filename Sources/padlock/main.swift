import PadlockClient
print("padlock: not built yet")
