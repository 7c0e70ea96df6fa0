import Server
print("padlockd: not built yet")
