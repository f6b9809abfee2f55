//! GOFLAGS splitting (shell-like quoting) and the flags gomodfetch honours (`-modcacherw`, `-mod=`, `-x`, `-insecure`).
