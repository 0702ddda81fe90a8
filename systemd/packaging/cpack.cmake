# Debian package (cpack -G DEB): programs, unit, sysusers/tmpfiles snippets, the default
# configuration as a conffile, maintainer scripts. Build it from a tree configured with
# -DCMAKE_INSTALL_PREFIX=/usr (see systemd/README.md):
#   cmake --preset release -DCMAKE_INSTALL_PREFIX=/usr && cmake --build --preset release
#   cd build/release && cpack -G DEB        ->  edgesoak_<version>_<arch>.deb
# Included from systemd/CMakeLists.txt, so the top-level CMakeLists.txt needs no change.

if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "edgesoak: CMAKE_INSTALL_PREFIX is ${CMAKE_INSTALL_PREFIX}; configure with "
                 "-DCMAKE_INSTALL_PREFIX=/usr to build a Debian package (cpack -G DEB)")
endif()

set(_es_pkg ${CMAKE_CURRENT_LIST_DIR})
set(_es_pkg_out ${CMAKE_CURRENT_BINARY_DIR}/packaging)
# Maintainer scripts are configured with the snippet locations; dpkg wants them 0755.
foreach(_script postinst prerm postrm)
  configure_file(${_es_pkg}/${_script}.in ${_es_pkg_out}/${_script} @ONLY
                 FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                  WORLD_READ WORLD_EXECUTE)
endforeach()
# dpkg keeps local edits of conffiles across upgrades and removes them only on purge.
file(WRITE ${_es_pkg_out}/conffiles "${CMAKE_INSTALL_FULL_SYSCONFDIR}/edgesoak/edgesoak.yaml\n")

set(CPACK_PACKAGE_NAME edgesoak)
set(CPACK_PACKAGE_VENDOR "edgesoak")
set(CPACK_PACKAGE_CONTACT "edgesoak maintainers <edgesoak@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "long-running int8 inference stress and thermal monitor for edge boards")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
  "edgesoakd runs multi-hour int8 inference on built-in quantized kernels while probes record\n"
  "latency, CPU frequency, temperatures, throttling and power into one SQLite file. edgesoak\n"
  "validates configurations, reports (HTML, SVG/PNG, JSON, CSV) and compares runs.\n"
  "The service is installed but neither enabled nor started: systemctl enable --now edgesoak.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # edgesoak_<version>_<arch>.deb
# Native builds: dpkg --print-architecture. Cross builds: the target's Debian architecture
# (run cpack with DEB_HOST_ARCH=<arch> so dpkg-shlibdeps looks in that multiarch directory).
if(CMAKE_CROSSCOMPILING AND NOT CPACK_DEBIAN_PACKAGE_ARCHITECTURE)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^armv7")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE armhf)
  elseif(CMAKE_SYSTEM_PROCESSOR STREQUAL "x86_64")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
  endif()
endif()
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Shared-library dependencies come from dpkg-shlibdeps (libsqlite3-0, libyaml-cpp0.7, libfmt9,
# libspdlog1.10, libboost-program-options1.74.0, libsystemd0, libsensors5, libcairo2, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# systemd-sysusers/systemd-tmpfiles create the user and the state directory (adduser is the
# fallback in postinst when systemd is not installed, e.g. in a container).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd | adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "i2c-tools")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_es_pkg_out}/conffiles ${_es_pkg_out}/postinst ${_es_pkg_out}/prerm ${_es_pkg_out}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
