# What `cmake --install` puts where, and the Debian package that
# `cpack -G DEB` makes from a build directory: the programs (vtapefs, vtape,
# vtape-mtx), the manual pages, the systemd unit template and the defaults
# of its instances (scripts/systemd/), installed under /usr with the
# defaults in /etc/vtape.

include(GNUInstallDirs)
# Every page in man/, by its section (a new page is installed without an
# edit here).
foreach(section 1 5 8)
  file(GLOB pages ${PROJECT_SOURCE_DIR}/man/*.${section})
  install(FILES ${pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
# The unit names /usr/bin/vtapefs: the package's prefix.
install(FILES ${PROJECT_SOURCE_DIR}/scripts/systemd/vtapefs@.service DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/scripts/systemd/vtape.conf DESTINATION /etc/vtape)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME vtapefs)
set(CPACK_PACKAGE_VENDOR "vtapefs")
set(CPACK_PACKAGE_CONTACT "vtapefs maintainers <vtapefs@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "virtual tape drives and library in a FUSE file system")
set(CPACK_PACKAGE_DESCRIPTION
    "vtapefs mounts virtual tape drives (drives/nstN, drives/stN) that behave like the Linux st driver,
so tar, mt, dd, cpio and backup software write to them unchanged. What is written is kept in
standard tape images (SIMH .tap, E11, MTD, AWS, HET) and cataloged in SQLite. The vtape command
restores, converts, verifies and imports images. A systemd unit template, vtapefs@.service,
runs one library per instance.")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The libraries from what the programs link (dpkg-shlibdeps); fuse3 for
# fusermount3, which unmounts (vtapefs(8)).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fuse3")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "mt-st, tar, sqlite3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/scripts/debian/conffiles;${PROJECT_SOURCE_DIR}/scripts/debian/postinst;${PROJECT_SOURCE_DIR}/scripts/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
