await page.goto(B+'/Account/Login'); await live();
await page.fill('#email',process.env.U); await page.fill('#password',process.env.P);
await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
await live(); await settle(1500); console.log(page.url()); await shot('05-login-'+process.env.U);
